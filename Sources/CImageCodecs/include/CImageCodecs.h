#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H
/* Placeholder: the decoding API is declared here. */
int ncc_codecs_placeholder(void);
#endif
