#include "CImageCodecs.h"
int ncc_codecs_placeholder(void) { return 0; }
