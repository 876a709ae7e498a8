/*
 * The C suites' one way to read an input file (a model, a JSON vector file, a saved history).
 */
#ifndef DRAM_TEST_FILES_H
#define DRAM_TEST_FILES_H

#include <stddef.h>

/*
 * The whole file at `path`, in a malloc'd buffer with one NUL byte after its `*len` bytes (so a
 * text file is also a C string); `len` may be NULL. Aborts the test with the path and the
 * reason when the file cannot be read. Free the buffer with free().
 */
unsigned char *read_file(const char *path, size_t *len);

/* "DIR/NAME" in a malloc'd string: a file inside the vectors directory. Free with free(). */
char *join_path(const char *dir, const char *name);

#endif
