// Frozen 80/10/10 splits from a seeded hash of the entry id: the same id lands in the same split
// on every machine and every run, independent of file order and of the other entries.
#pragma once
#include <cstdint>
#include <string>

namespace cast {

enum class Split : std::uint8_t { Train = 0, Val = 1, Test = 2 };
const char* split_name(Split s);

struct SplitOptions {
  std::uint64_t seed = 42;
  double train = 0.8;
  double val = 0.1;
};

// A uniform number in [0, 1) from (seed, id), then the fractions.
double split_unit(const std::string& id, std::uint64_t seed);
Split assign_split(const std::string& id, const SplitOptions& opt = {});

}  // namespace cast
