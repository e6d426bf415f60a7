// libFuzzer target: the cif reader and everything after it (see fuzz_readers.hpp).
#include <cstddef>
#include <cstdint>

#include "fuzz_readers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cast::fuzz::run_one(cast::fuzz::Reader::Cif, std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
