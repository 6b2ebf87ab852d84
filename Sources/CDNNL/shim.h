#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

/* oneDNN here runs on OpenMP (libgomp); these two let FineTune set its thread count. */
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);

#include <xmmintrin.h>

/* Flush-to-zero and denormals-are-zero for the calling thread (and threads it creates later). Tiny gradients and
   Adam moments otherwise become denormal floats, which cost ~100 cycles per operation on x86. */
static inline void finetune_flush_denormals(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
