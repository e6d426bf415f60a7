// Replays tests/fuzz/regressions/<reader>/* (every crash, hang or escaped exception fuzzing
// found, and the defect inputs of issue 18) through the same code as the libFuzzer targets:
// each must be read into valid structures or refused with an InputError, never crash.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>

#include "common/file_io.hpp"
#include "fuzz/fuzz_readers.hpp"

using namespace cast;

TEST_CASE("fuzz regressions: every kept input is read cleanly or refused cleanly") {
  const std::string root = std::string(CAST_TEST_DIR) + "/fuzz/regressions";
  int replayed = 0;
  for (auto r : {fuzz::Reader::Cif, fuzz::Reader::Poscar, fuzz::Reader::PymatgenJson, fuzz::Reader::MpJsonl,
                 fuzz::Reader::Matbench, fuzz::Reader::IdProp}) {
    const std::string dir = root + "/" + fuzz::reader_name(r);
    if (!is_directory(dir)) continue;
    std::vector<std::string> files;
    for (const auto& f : std::filesystem::directory_iterator(dir))
      if (f.is_regular_file()) files.push_back(f.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      INFO(f);
      CHECK_NOTHROW(fuzz::run_one(r, read_file(f)));
      ++replayed;
    }
  }
  CHECK(replayed >= 6);
}
