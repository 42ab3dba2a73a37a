// OpenSSL's EVP API (libcrypto) for the hand-written receiver of the Swift benchmark.
#include <openssl/evp.h>
#include <openssl/crypto.h>
