// BERT: forward tokens/s at the small profile's size, BERT-base load time from a checkpoint
// directory, and the peak memory of a BERT-base forward at batch 8 x 512 (CPU, fp32, no grad).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "models/bert.hpp"

using namespace cast::models;

namespace {
long peak_rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}
long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

BertConfig base_config() {
  BertConfig c;
  c.vocab_size = 31090;  // MatSciBERT's
  return c;
}

// The small profile's encoder: 4 layers x 256, 4 heads, batch 16 x 256 tokens.
void BM_ForwardSmall(benchmark::State& st) {
  BertConfig c;
  c.vocab_size = 8000; c.hidden_size = 256; c.num_hidden_layers = 4; c.num_attention_heads = 4; c.intermediate_size = 1024;
  BertModel m(c);
  m->eval();
  torch::NoGradGuard g;
  auto ids = torch::randint(0, c.vocab_size, {16, 256}, torch::kLong);
  auto mask = torch::ones({16, 256}, torch::kLong);
  for (auto _ : st) benchmark::DoNotOptimize(m->forward(ids, mask).last_hidden_state);
  st.counters["tokens/s"] = benchmark::Counter(16.0 * 256 * st.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ForwardSmall)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

// BERT-base (12 x 768, 31,090 tokens): write a checkpoint, then time loading it.
void BM_LoadBertBase(benchmark::State& st) {
  const std::string dir = "/tmp/cast-bench-bertbase-" + std::to_string(::getpid());
  {
    BertForMaskedLM m(base_config());
    save_bert_checkpoint(m, dir);
  }
  for (auto _ : st) {
    auto m = load_bert_checkpoint(dir);
    benchmark::DoNotOptimize(m);
  }
  std::system(("rm -rf " + dir).c_str());
}
BENCHMARK(BM_LoadBertBase)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_BertBaseForward8x512(benchmark::State& st) {
  BertModel m(base_config());
  m->eval();
  torch::NoGradGuard g;
  auto ids = torch::randint(0, 31090, {8, 512}, torch::kLong);
  auto mask = torch::ones({8, 512}, torch::kLong);
  const long before = rss_kb();
  for (auto _ : st) benchmark::DoNotOptimize(m->forward(ids, mask).last_hidden_state);
  st.counters["peak_rss_MB"] = peak_rss_kb() / 1024.0;
  st.counters["rss_before_MB"] = before / 1024.0;
  st.counters["tokens/s"] = benchmark::Counter(8.0 * 512 * st.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BertBaseForward8x512)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
}  // namespace

BENCHMARK_MAIN();
