#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

/* oneDNN here runs on OpenMP (libgomp); these two let FineTune set its thread count. */
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);
/* A parallel region on libgomp's thread team (what `#pragma omp parallel` compiles to), so FineTune's own loops run
   on oneDNN's threads instead of competing with them. libgomp's internal ABI, not public OpenMP API: no header
   declares it. Used only by Sources/TuneCore/OneDNN/OpenMPTeam.swift, which documents the arguments and the caveats. */
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned int flags);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_in_parallel(void);

#include <xmmintrin.h>

/* Flush-to-zero and denormals-are-zero for the calling thread (and threads it creates later). Tiny gradients and
   Adam moments otherwise become denormal floats, which cost ~100 cycles per operation on x86. */
static inline void finetune_flush_denormals(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
