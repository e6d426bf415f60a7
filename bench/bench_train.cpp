// Training throughput (samples/s) of each model at the small profile's sizes on CPU:
// coGN 128 x 5 blocks, a 4 x 256 BERT with 256 tokens, fusion 4 x 8 heads x 128; batch 64 of
// MP structures from ../shared (log_kvrh subset) with synthetic token ids.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>

#include "bench_data.hpp"
#include "common/file_io.hpp"
#include "data/dataset.hpp"
#include "models/bert.hpp"
#include "text/vocab_trainer.hpp"
#include "train/trainer.hpp"

using namespace cast;

namespace {

struct World {
  Dataset d;
  std::string encoder = "/tmp/cast-bench-encoder-" + std::to_string(::getpid());
  bool ok = false;
  World() {
    std::string src = shared_file("data/matbench/matbench_log_kvrh.subset.json.gz");
    if (src.empty()) return;
    PrepareOptions o;
    o.task = Task::LogKVRH;
    o.source = src;
    o.limit = 640;
    o.progress = false;
    o.describe = false;
    d = prepare_dataset(o);
    std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (int i = 0; i < 8000; ++i) vocab.push_back("t" + std::to_string(i));
    std::srand(1);
    for (auto& r : d.records) {
      r.token_ids = {2};
      for (int k = 0; k < 254; ++k) r.token_ids.push_back(5 + std::rand() % 8000);
      r.token_ids.push_back(3);
      r.split = Split::Train;
    }
    d.records[0].split = Split::Val;
    d.records[1].split = Split::Test;
    models::BertConfig c;
    c.vocab_size = static_cast<int64_t>(vocab.size());
    c.hidden_size = 256; c.num_hidden_layers = 4; c.num_attention_heads = 4; c.intermediate_size = 1024;
    models::BertForMaskedLM lm(c);
    models::save_bert_checkpoint(lm, encoder);
    text::write_vocab(vocab, encoder + "/vocab.txt");
    ok = true;
  }
  ~World() { std::system(("rm -rf " + encoder).c_str()); }
};
World& world() {
  static World w;
  return w;
}

// prefetch: 2 batches built ahead on a background thread (the default) or 0, each built on the
// training thread as before prefetching; their samples/s are compared. The first benchmark
// warms up (allocator, OpenBLAS threads) and is not one of the compared.
void BM_TrainEpoch(benchmark::State& st, const char* kind, int prefetch = 2) {
  if (!world().ok) { st.SkipWithError("shared data not found"); return; }
  TrainConfig c;
  c.model.kind = kind;
  c.model.text_encoder = world().encoder;
  c.epochs = 1;
  c.batch_size = 64;
  c.warmup_steps = 1;
  c.progress = false;
  c.prefetch = prefetch;
  std::size_t samples = 0;
  for (auto _ : st) {
    auto r = train_model(world().d, c);
    samples += world().d.records.size() - 2;
  }
  st.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_TrainEpoch, warmup, "cogn")->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainEpoch, cogn, "cogn")->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainEpoch, bert, "bert")->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainEpoch, crysmmnet_frozen, "crysmmnet-frozen")->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainEpoch, crysmmnet_lora, "crysmmnet-lora")->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainEpoch, cast_scratch, "cast-scratch")->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainEpoch, cogn_no_prefetch, "cogn", 0)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainEpoch, cast_scratch_no_prefetch, "cast-scratch", 0)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
}  // namespace

BENCHMARK_MAIN();
