// libFuzzer target: the training-config parser (tools/lib/train_config.cpp), JSON text in. An
// accepted config is range-checked, so writing it back (to_json, as config.json of a run) and reading
// that again must give the same config, as a resume does.
#include <string>

#include <nlohmann/json.hpp>

#include "tests/fuzz/fuzz_check.h"
#include "tools/lib/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr const char* kTarget = "fuzz_train_config";
  // TrainConfig::load's own parse: JSON errors become one-line refusals there; here only the
  // accepted documents go on.
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  csgis::tools::TrainConfig c;
  try {
    c = csgis::tools::TrainConfig::from_json(j, "config 'fuzz.json'");
  } catch (const std::exception& e) {
    csgis::fuzz::check_refusal(e, kTarget);
    return 0;
  }
  const nlohmann::json written = c.to_json();
  csgis::tools::TrainConfig again;
  try {
    again = csgis::tools::TrainConfig::from_json(written, "config 'fuzz-again.json'");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: an accepted config, written back, is refused: %s\n", kTarget, e.what());
    std::abort();
  }
  csgis::fuzz::require(again.to_json() == written, kTarget, "config changed in a write-read round trip");
  return 0;
}
