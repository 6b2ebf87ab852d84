/* Debian's libhdf5-dev installs the serial (non-MPI) build's headers here. */
#include <hdf5/serial/hdf5.h>

/* HDF5's predefined types and property lists are macros that call H5open() and read a global; Swift imports
   neither, so these functions return them. Used only by Sources/TuneFormats/HDF5/. */
static inline hid_t finetune_h5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t finetune_h5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t finetune_h5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t finetune_h5_c_string(void) { return H5T_C_S1; }
static inline hid_t finetune_h5_default(void) { return H5P_DEFAULT; }
static inline hid_t finetune_h5_all(void) { return H5S_ALL; }
static inline hid_t finetune_h5_error_default(void) { return H5E_DEFAULT; }
static inline unsigned finetune_h5_read_only(void) { return H5F_ACC_RDONLY; }
static inline unsigned finetune_h5_truncate(void) { return H5F_ACC_TRUNC; }
/* Makes a string type variable-length (H5T_VARIABLE is SIZE_MAX, which Swift's Int cannot spell). */
static inline herr_t finetune_h5_make_variable_length(hid_t type) { return H5Tset_size(type, H5T_VARIABLE); }
