/* The C suites' one way to read an input file (see files.h). */
#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *grow(void *ptr, size_t size) {
  void *result = realloc(ptr, size);
  if (!result) {
    fprintf(stderr, "out of memory reading a test file\n");
    exit(1);
  }
  return result;
}

unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
    exit(1);
  }
  /* Read in chunks rather than trusting ftell: works for any stream, and stops at EOF. */
  unsigned char *bytes = NULL;
  size_t used = 0, cap = 0, got;
  do {
    if (used + 4096 + 1 > cap) bytes = grow(bytes, cap = 2 * cap + 4096 + 1);
    got = fread(bytes + used, 1, cap - used - 1, f);
    used += got;
  } while (got > 0);
  if (ferror(f)) {
    fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
    exit(1);
  }
  fclose(f);
  bytes[used] = '\0';
  if (len) *len = used;
  return bytes;
}

char *join_path(const char *dir, const char *name) {
  size_t size = strlen(dir) + 1 + strlen(name) + 1;
  char *path = grow(NULL, size);
  snprintf(path, size, "%s/%s", dir, name);
  return path;
}
