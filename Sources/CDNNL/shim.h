#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

/* oneDNN here runs on OpenMP (libgomp); these two let FineTune set its thread count. */
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);
