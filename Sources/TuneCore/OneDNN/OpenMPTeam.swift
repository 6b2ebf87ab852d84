import CDNNL

/// The OpenMP thread team oneDNN computes on (this build of oneDNN uses OpenMP through GCC's libgomp), and the
/// per-thread floating-point mode its workers inherit.
enum OpenMPTeam {
    /// Sets the team size (`omp_set_num_threads`) for regions the calling thread starts, unless it already is `count`.
    /// OpenMP keeps this size per thread; oneDNN reads it when it creates a primitive and when it runs one.
    static func useThreadCount(_ count: Int) {
        if omp_get_max_threads() != Int32(count) { omp_set_num_threads(Int32(count)) }
    }

    /// Whether the calling thread runs inside a parallel region (`omp_in_parallel`), where a region it starts would
    /// run on it alone.
    static var isInParallel: Bool { omp_in_parallel() != 0 }

    /// The thread count the team uses (`omp_get_max_threads`).
    static var threadCount: Int { Int(omp_get_max_threads()) }

    /// Treats denormal floats as zero on the calling thread and on threads it starts afterwards (MXCSR FTZ and DAZ).
    static func flushDenormalsOnCurrentThread() { finetune_flush_denormals() }

    /// Runs `body(i)` for `i` in `0..<count` on `threads` threads of the team; thread `t` of `T` takes `t, t + T, …`.
    ///
    /// Why the team and not Dispatch: oneDNN's OpenMP workers spin for a while after each primitive, waiting for the
    /// next region. A second pool started meanwhile would share cores with spinning threads; running FineTune's own
    /// loops as OpenMP regions on the same team keeps one set of threads busy, one per core.
    ///
    /// How: `GOMP_parallel(fn, data, num_threads, flags)` is what GCC compiles `#pragma omp parallel` to. It is
    /// libgomp's internal ABI, not the public OpenMP API (declared by hand in `Sources/CDNNL/shim.h`, since no header
    /// exports it). It runs `fn(data)` on the calling thread plus `num_threads − 1` team workers and returns when all
    /// have finished (an implicit barrier); `num_threads` 0 would mean "the default team size". `flags` carries the
    /// `proc_bind` clause in its low bits; 0 means none (the default binding). Inside `fn`, `omp_get_thread_num()` and
    /// `omp_get_num_threads()` give the thread's index and the team's size. A region started inside another runs on
    /// one thread (nested parallelism is off by default).
    ///
    /// If oneDNN is built with another threading runtime (TBB, or `DNNL_CPU_RUNTIME=SEQ`/`THREADPOOL`), this still
    /// works as long as libgomp is linked (the module map links it), but the regions then run on a team of their own
    /// that competes with oneDNN's threads for the cores, and ``useThreadCount(_:)`` no longer sets oneDNN's count; with LLVM's libomp instead of libgomp, `GOMP_parallel` is
    /// provided by libomp's GNU compatibility layer. Without any OpenMP runtime the link fails, and this function
    /// (and ``useThreadCount(_:)``) must move to that runtime's own API.
    static func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var job = ParallelJob(count: count, body: body)
            withUnsafeMutablePointer(to: &job) { pointer in
                GOMP_parallel({ raw in
                    guard let job = raw?.assumingMemoryBound(to: ParallelJob.self).pointee else { return }
                    let (thread, threads) = (Int(omp_get_thread_num()), Int(omp_get_num_threads()))
                    var i = thread
                    while i < job.count {
                        job.body(i)
                        i += threads
                    }
                }, pointer, UInt32(threads), 0)
            }
        }
    }

    /// What one ``parallelFor(_:threads:_:)`` region runs.
    private struct ParallelJob {
        let count: Int
        let body: (Int) -> Void
    }
}
