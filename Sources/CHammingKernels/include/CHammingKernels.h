#ifndef CHAMMINGKERNELS_H
#define CHAMMINGKERNELS_H
int ncc_hamming_placeholder(void);
#endif
