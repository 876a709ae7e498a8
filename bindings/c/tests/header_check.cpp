// dram.h must compile as C++ (-Wall -Wextra -Werror -pedantic) with C linkage for the API.
#include "dram.h"

int main() {
  dram_feature feature = {"price", dram_value_float(1.0)};
  dram_candidate candidate = {"3", &feature, 1};
  dram_model *model = nullptr;
  dram_model_free(&model);
  return candidate.feature_count == 1 && dram_status_name(DRAM_OK) != nullptr ? 0 : 1;
}
