// Paths to the committed fixtures and to ../shared (tests that need it skip when absent).
#pragma once
#include <cstdlib>
#include <string>

#include "common/file_io.hpp"

inline std::string fixture(const std::string& name) { return std::string(CAST_TEST_DIR) + "/fixtures/" + name; }

inline std::string shared_dir() {
  if (const char* env = std::getenv("CAST_SHARED_DIR")) return env;
  return CAST_SHARED_DIR;
}
inline bool have_shared(const std::string& rel) { return cast::file_exists(shared_dir() + "/" + rel); }
#define REQUIRE_SHARED(rel)                                                         \
  do {                                                                              \
    if (!have_shared(rel)) {                                                        \
      WARN("skipped: " << shared_dir() << "/" << rel << " not found (set CAST_SHARED_DIR)"); \
      return;                                                                       \
    }                                                                               \
  } while (0)
