/* dram.h must compile as strict C99 (-pedantic) on its own. */
#include "dram.h"

int main(void) {
  dram_value v = dram_value_int(3);
  dram_scored s = {0, 1.0f};
  return v.kind == DRAM_VALUE_INT && s.index == 0 ? 0 : 1;
}
