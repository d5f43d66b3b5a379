#include "CImageEncoding.h"
int ncc_encoding_placeholder(void) { return 0; }
