#ifndef IRONBRIDGE_COPENSSL_SHIM_H
#define IRONBRIDGE_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

/* OpenSSL API that is a macro in the headers, as functions Swift can call. */

static inline int ironbridge_ssl_ctx_set_min_tls12(SSL_CTX *context) {
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}

static inline int ironbridge_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/* The password of an encrypted private key: `userdata` is a NUL-terminated string that
   lives while the key is loaded (set with SSL_CTX_set_default_passwd_cb_userdata). */
static int ironbridge_ssl_password_callback(char *buffer, int size, int rwflag, void *userdata) {
    (void)rwflag;
    if (userdata == NULL || size <= 0) return 0;
    size_t length = strlen((const char *)userdata);
    if (length > (size_t)size) length = (size_t)size;
    memcpy(buffer, userdata, length);
    return (int)length;
}

static inline void ironbridge_ssl_ctx_use_password(SSL_CTX *context, const char *password) {
    SSL_CTX_set_default_passwd_cb(context, password ? ironbridge_ssl_password_callback : NULL);
    SSL_CTX_set_default_passwd_cb_userdata(context, (void *)password);
}
#endif
