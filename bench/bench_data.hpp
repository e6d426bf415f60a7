// Where the benchmarks find ../shared: $CAST_SHARED_DIR, else ../shared seen from the working
// directory or from build/ and build/bench/.
#pragma once
#include <cstdlib>
#include <string>

#include "common/file_io.hpp"

inline std::string shared_file(const std::string& rel) {
  const char* env = std::getenv("CAST_SHARED_DIR");
  for (const std::string& d : {env ? std::string(env) : std::string("../shared"), std::string("../../shared"),
                               std::string("../../../shared")})
    if (cast::file_exists(d + "/" + rel)) return d + "/" + rel;
  return {};
}
