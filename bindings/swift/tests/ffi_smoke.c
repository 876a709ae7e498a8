/* The generated C ABI (DramFFI.h), called from C as the generated Swift calls it.
 *
 * Built and run by bindings/swift/test.sh against the host library. It checks what Swift's
 * `uniffiEnsureDramFfiInitialized` checks at start-up (the contract version and every API
 * checksum the committed Dram.swift expects; test.sh extracts them from that file into
 * -DBINDINGS_CONTRACT_VERSION and `checksums.inc`), then makes real calls through the raw ABI: a model
 * loaded from a path, a method returning a string, and an error with its case and message.
 *
 * usage: ffi_smoke <ranker.onnx> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "DramFFI.h"

static int failures;

#define EXPECT(cond, ...)                                  \
    do {                                                   \
        if (!(cond)) {                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                  \
            fputc('\n', stderr);                           \
            failures++;                                    \
        }                                                  \
    } while (0)

/* uniffi's RustCallStatus codes, as the generated Swift names them. */
enum { CALL_SUCCESS = 0, CALL_ERROR = 1 };

static RustBuffer string_buffer(const char *s) {
    RustCallStatus status = {0};
    ForeignBytes bytes = {(int32_t)strlen(s), (const uint8_t *)s};
    RustBuffer buffer = ffi_dram_ffi_rustbuffer_from_bytes(bytes, &status);
    EXPECT(status.code == CALL_SUCCESS, "rustbuffer_from_bytes failed");
    return buffer;
}

static void free_buffer(RustBuffer buffer) {
    RustCallStatus status = {0};
    ffi_dram_ffi_rustbuffer_free(buffer, &status);
}

static int32_t read_i32_be(const uint8_t *p) {
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

static void check_checksums(void) {
    int checked = 0;
    EXPECT(ffi_dram_ffi_uniffi_contract_version() == BINDINGS_CONTRACT_VERSION,
           "contract version %u, Dram.swift expects %d", ffi_dram_ffi_uniffi_contract_version(),
           BINDINGS_CONTRACT_VERSION);
#define CHECKSUM(fn, want)                                                              \
    do {                                                                                \
        EXPECT(fn() == (want), #fn " is %u, Dram.swift expects %u", (unsigned)fn(), (unsigned)(want)); \
        checked++;                                                                      \
    } while (0);
#include "checksums.inc"
#undef CHECKSUM
    EXPECT(checked > 10, "only %d checksums found in Dram.swift", checked);
    printf("ffi_smoke: contract version and %d checksums match Dram.swift\n", checked);
}

static void check_model_task(const char *model_path) {
    RustCallStatus status = {0};
    uint64_t model = uniffi_dram_ffi_fn_constructor_drammodel_from_file(string_buffer(model_path), &status);
    EXPECT(status.code == CALL_SUCCESS, "DramModel.fromFile(%s) failed with code %d", model_path, status.code);
    if (status.code != CALL_SUCCESS) {
        return;
    }
    /* Methods consume a handle: Swift passes a clone of its own. */
    uint64_t clone = uniffi_dram_ffi_fn_clone_drammodel(model, &status);
    RustBuffer task = uniffi_dram_ffi_fn_method_drammodel_task(clone, &status);
    EXPECT(status.code == CALL_SUCCESS, "task() failed");
    EXPECT(task.len == 6 && memcmp(task.data, "ranker", 6) == 0, "task() is %.*s", (int)task.len, (const char *)task.data);
    free_buffer(task);
    uniffi_dram_ffi_fn_free_drammodel(model, &status);
    EXPECT(status.code == CALL_SUCCESS, "free failed");
}

static void check_error(void) {
    const char *missing = "/nonexistent/dram-smoke.onnx";
    RustCallStatus status = {0};
    uniffi_dram_ffi_fn_constructor_drammodel_from_file(string_buffer(missing), &status);
    EXPECT(status.code == CALL_ERROR, "a missing file gave call status %d, expected CALL_ERROR", status.code);
    if (status.code != CALL_ERROR) {
        return;
    }
    /* The error buffer is DramError: an i32 case (1 = Io), then the message as i32 length + UTF-8. */
    const uint8_t *p = status.errorBuf.data;
    EXPECT(status.errorBuf.len >= 8, "error buffer of %llu bytes", (unsigned long long)status.errorBuf.len);
    if (status.errorBuf.len >= 8) {
        int32_t variant = read_i32_be(p), length = read_i32_be(p + 4);
        EXPECT(variant == 1, "DramError case %d, expected 1 (Io)", variant);
        EXPECT((uint64_t)length + 8 == status.errorBuf.len, "message length %d in %llu bytes", length,
               (unsigned long long)status.errorBuf.len);
        char *message = strndup((const char *)p + 8, (size_t)length);
        EXPECT(strstr(message, missing) != NULL, "message %s lacks the path", message);
        free(message);
    }
    free_buffer(status.errorBuf);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <ranker.onnx>\n", argv[0]);
        return 2;
    }
    check_checksums();
    check_model_task(argv[1]);
    check_error();
    if (failures) {
        fprintf(stderr, "ffi_smoke: %d failures\n", failures);
        return 1;
    }
    printf("ffi_smoke: raw ABI calls behave as the generated Swift expects\n");
    return 0;
}
