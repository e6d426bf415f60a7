#include "data/split.hpp"

#include "common/file_io.hpp"

namespace cast {

const char* split_name(Split s) {
  switch (s) {
    case Split::Train: return "train";
    case Split::Val: return "val";
    case Split::Test: return "test";
  }
  return "?";
}

double split_unit(const std::string& id, std::uint64_t seed) {
  std::uint64_t h = fnv1a64(id, fnv1a64(&seed, sizeof seed));
  // splitmix64 finaliser: spreads FNV's weak low bits over the whole word.
  h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27; h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

Split assign_split(const std::string& id, const SplitOptions& opt) {
  const double u = split_unit(id, opt.seed);
  if (u < opt.train) return Split::Train;
  if (u < opt.train + opt.val) return Split::Val;
  return Split::Test;
}

}  // namespace cast
