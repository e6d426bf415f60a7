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

// Issue 18's unbounded cases, now near-linear: a perfect 1,000-atom Si supercell (symmetry and
// graph took over 240 s) and a CIF of 40 general positions in Fm-3m (the site merge compared
// every expanded site with every other; 300 positions took over 30 s, now refused by the site limit).
Structure si_supercell(int n) {
  Structure cell;
  cell.lattice = Lattice::from_parameters(5.431, 5.431, 5.431, 90, 90, 90);
  const double base[8][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5},
                             {0.25, 0.25, 0.25}, {0.75, 0.75, 0.25}, {0.75, 0.25, 0.75}, {0.25, 0.75, 0.75}};
  Structure s;
  s.lattice = Lattice::from_parameters(5.431 * n, 5.431 * n, 5.431 * n, 90, 90, 90);
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z)
        for (const auto& b : base) s.add_site(14, {(b[0] + x) / n, (b[1] + y) / n, (b[2] + z) / n});
  return s;
}

void BM_SiSupercellGraph(benchmark::State& st) {
  const Structure s = si_supercell(static_cast<int>(st.range(0)));
  GraphOptions go;
  go.symmetry.fast = true;
  for (auto _ : st) benchmark::DoNotOptimize(featurize_structure(s, go));
  st.counters["sites"] = static_cast<double>(s.size());
}
BENCHMARK(BM_SiSupercellGraph)->Arg(2)->Arg(5)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CifFm3mGeneralPositions(benchmark::State& st) {
  std::string cif = "data_big\n_cell_length_a 40\n_cell_length_b 40\n_cell_length_c 40\n"
                    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                    "_symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
                    "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n";
  for (int i = 0; i < st.range(0); ++i) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "C%d C %.5f %.5f %.5f\n", i, 0.011 + 0.0013 * i, 0.023 + 0.0007 * i, 0.037 + 0.0003 * i);
    cif += buf;
  }
  std::size_t sites = 0;
  for (auto _ : st) {
    auto v = parse_cif(cif, "big.cif");
    sites = v[0].ok ? v[0].structure.size() : 0;
  }
  st.counters["sites"] = static_cast<double>(sites);  // 0: refused (over the site limit)
}
BENCHMARK(BM_CifFm3mGeneralPositions)->Arg(40)->Arg(300)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace

BENCHMARK_MAIN();
