/*
 * sha256.c -- sha256_hex() (util.h), through OpenSSL.  A file of its own so
 * that the trial-side libhpo, which has no use for it, needs no libcrypto.
 */
#include "core/util.h"

#include <stdio.h>
#include <openssl/evp.h>

void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", md[i]);
    out[64] = '\0';
}
