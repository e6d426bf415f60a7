// Featurization throughput on the 36,737 MP structures (parse, symmetry, coGN graph) and the
// cache bytes per structure. Data: $CAST_SHARED_DIR/data or ../shared/data (skipped when absent).
//   ./build/bench/bench_featurize [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "bench_data.hpp"
#include "common/file_io.hpp"
#include "crystal/readers.hpp"
#include "data/dataset.hpp"
#include "graph/crystal_graph.hpp"
#include "text/describer.hpp"

using namespace cast;

namespace {

// The whole pipeline of `cast data prepare` without the cache: read + parse + filter + split +
// symmetry + 24-NN asymmetric-unit graph, on all cores.
void BM_PrepareMP36737(benchmark::State& st) {
  std::string src = shared_file("data/mp/mp_legacy_36737.jsonl.gz");
  if (src.empty()) { st.SkipWithError("mp_legacy_36737.jsonl.gz not found (set CAST_DATA_DIR)"); return; }
  PrepareOptions o;
  o.task = Task::FormationEnergy;
  o.source = src;
  o.progress = false;
  o.threads = static_cast<unsigned>(st.range(0));
  o.filters.paper_filters = false;
  o.describe = false;  // graphs only: parse + symmetry + 24-NN asymmetric-unit graph
  std::size_t n = 0;
  Dataset d;
  for (auto _ : st) {
    d = prepare_dataset(o);
    n += d.entries_read;
  }
  st.counters["structures/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  // Cache bytes per structure.
  std::string path = "/tmp/cast-bench-" + std::to_string(::getpid()) + ".castds";
  save_dataset(d, path);
  std::string bytes = read_file(path);
  std::remove(path.c_str());
  st.counters["cache_bytes/structure"] = static_cast<double>(bytes.size()) / d.records.size();
  st.counters["kept"] = static_cast<double>(d.records.size());
}
BENCHMARK(BM_PrepareMP36737)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// Symmetry + graph only, one core, on parsed structures.
void BM_GraphOnly(benchmark::State& st) {
  std::string src = shared_file("data/mp/mp_legacy_36737.jsonl.gz");
  if (src.empty()) { st.SkipWithError("data not found"); return; }
  ReadOptions ro;
  ro.limit = 5000;
  auto entries = read_entries(src, ro);
  std::size_t n = 0;
  for (auto _ : st) {
    for (const auto& e : entries) {
      if (!e.ok) continue;
      benchmark::DoNotOptimize(featurize_structure(e.structure));
      ++n;
    }
  }
  st.counters["structures/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GraphOnly)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
// The describer alone, one core, on parsed structures.
void BM_Describe(benchmark::State& st) {
  std::string src = shared_file("data/mp/mp_legacy_36737.jsonl.gz");
  if (src.empty()) { st.SkipWithError("data not found"); return; }
  ReadOptions ro;
  ro.limit = 5000;
  auto entries = read_entries(src, ro);
  std::size_t n = 0, failed = 0;
  for (auto _ : st)
    for (const auto& e : entries) {
      auto d = text::describe_structure(e.structure);
      failed += !d.ok;
      ++n;
    }
  st.counters["structures/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  st.counters["failed"] = static_cast<double>(failed);
}
BENCHMARK(BM_Describe)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
}  // namespace

BENCHMARK_MAIN();
