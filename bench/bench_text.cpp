// Tokenizer throughput (one core) on the 1,000 Materials Project robocrys texts, and the
// MatSciBERT normaliser. Data: $CAST_SHARED_DIR or ../shared.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "bench_data.hpp"
#include "common/file_io.hpp"
#include "text/normalizer.hpp"
#include "text/wordpiece.hpp"

using namespace cast;

namespace {
std::vector<std::string> texts() {
  std::vector<std::string> out;
  std::string f = shared_file("data/text/mp_robocrys_li_oxides.dev.jsonl.gz");
  if (f.empty()) return out;
  for_each_line(f, [&](std::string&& l, std::size_t) {
    out.push_back(nlohmann::json::parse(l)["description"].get<std::string>());
    return true;
  });
  return out;
}

void BM_Tokenize(benchmark::State& st) {
  auto corpus = texts();
  std::string vf = shared_file("fixtures/hf_bert_tiny_shared/vocab.txt");
  if (corpus.empty() || vf.empty()) { st.SkipWithError("shared data not found"); return; }
  auto vocab = std::make_shared<const text::Vocab>(text::Vocab::from_file(vf));
  text::BertTokenizer tok(vocab);
  std::size_t tokens = 0, bytes = 0;
  for (auto _ : st)
    for (const auto& t : corpus) {
      auto e = tok.encode(t, 0);
      tokens += e.ids.size();
      bytes += t.size();
    }
  st.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  st.counters["MB/s"] = benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Tokenize)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Normalize(benchmark::State& st) {
  auto corpus = texts();
  if (corpus.empty()) { st.SkipWithError("shared data not found"); return; }
  auto n = text::TextNormalizer::builtin();
  std::size_t bytes = 0;
  for (auto _ : st)
    for (const auto& t : corpus) {
      benchmark::DoNotOptimize(n.normalize(t));
      bytes += t.size();
    }
  st.counters["MB/s"] = benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Normalize)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace

BENCHMARK_MAIN();
