// Masked-language-model pretraining of the domain BERT (`cast lm pretrain`): 15% of the
// non-special tokens are chosen; of those 80% become [MASK], 10% a random token, 10% stay.
// AdamW, warm-up + cosine schedule, per-epoch MLM loss and masked-token accuracy on held-out
// texts, a Hugging Face checkpoint directory after every epoch, resume from it.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "models/bert.hpp"

namespace cast::dist {
class Comm;
}

namespace cast {

struct MlmOptions {
  models::BertConfig model;        // vocab_size is taken from the vocabulary
  std::size_t max_length = 128;
  std::size_t batch_size = 32;
  int epochs = 3;
  double lr = 5e-4, weight_decay = 0.01;
  std::int64_t warmup_steps = 100;
  int cycles = 1;
  double mask_prob = 0.15;
  std::uint64_t seed = 0;
  std::string out_dir;             // checkpoint directory (written each epoch; resumed from)
  // Continue pretraining from this Hugging Face BERT directory (its weights; `model` must be its
  // config with max_position_embeddings possibly raised). Position embeddings beyond the
  // checkpoint's are initialised by tiling its learned ones (Longformer's recipe).
  std::string init_dir;
  bool progress = true;
  std::string device = "cpu";      // cpu, cuda, cuda:N (train/device.hpp)
  bool bf16 = true;                // bf16 autocast on CUDA
  int stop_after_epoch = 0;        // > 0: return after this epoch (as if interrupted)
  // Data parallel (dist/comm.hpp): each rank takes its rows of every batch (masked as one process
  // masks them); rank 0 writes the checkpoint. Null: one process.
  std::shared_ptr<dist::Comm> comm;
};

struct MlmEpoch {
  int epoch;
  double train_loss, val_loss, val_accuracy, seconds;
};

// 1 for the vocabulary's bracketed specials ([PAD], [CLS], [MASK], [unused0], ...).
std::vector<char> special_tokens(const std::vector<std::string>& vocab);

// Chooses MLM targets in place: labels[i] = original id where a prediction is asked, else
// -100; ids[i] becomes [MASK] (80%), a random non-special token (10%) or stays (10%).
// Specials (ids < first_regular_id, and ids marked in `special` when given: a Hugging Face
// vocabulary keeps [CLS], [SEP], [MASK] and [unusedN] above 5) are never chosen nor drawn as the
// random token. Deterministic for a given rng state.
void mask_tokens(std::vector<std::int64_t>& ids, std::vector<std::int64_t>& labels, std::int64_t vocab_size,
                 std::int64_t mask_id, std::int64_t first_regular_id, double prob, std::mt19937_64& rng,
                 const std::vector<char>* special = nullptr);

// One batch of texts: ids and attention mask [B, T], labels -100 where no prediction is asked.
struct MlmBatch {
  torch::Tensor ids, mask, labels;
  MlmBatch to(const torch::Device& d) const { return {ids.to(d), mask.to(d), labels.to(d)}; }
};

// Mean cross-entropy over the chosen positions only (the MLM head runs on those rows alone), and
// (correct, chosen) counts; a zero loss when nothing is chosen. The step `cast lm pretrain` takes
// (and `cast calibrate` times).
std::pair<torch::Tensor, std::pair<int64_t, int64_t>> mlm_loss(models::BertForMaskedLM& model, const MlmBatch& b);

// Token ids of the training and validation texts (each [CLS] ... [SEP]).
std::vector<MlmEpoch> pretrain_mlm(const std::vector<std::vector<std::int32_t>>& train,
                                   const std::vector<std::vector<std::int32_t>>& val,
                                   const std::vector<std::string>& vocab_tokens, const MlmOptions& opt,
                                   const std::function<void(const MlmEpoch&)>& on_epoch = {});

}  // namespace cast
