#ifndef CIMAGEENCODING_H
#define CIMAGEENCODING_H
int ncc_encoding_placeholder(void);
#endif
