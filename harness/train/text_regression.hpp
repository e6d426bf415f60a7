// Fine-tunes a BERT text encoder with a linear head on [CLS] for one regression target: the
// check that a pretrained domain LM beats a randomly initialised one of the same size.
// L1 loss on standardised targets, AdamW, warm-up + cosine; MAE in the target's units.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cast {

struct TextRegressionOptions {
  std::string model_dir;         // HF checkpoint directory (config.json, model.safetensors)
  bool random_init = false;      // same config, fresh weights (the baseline)
  int epochs = 3;
  std::size_t batch_size = 32, max_length = 128;
  double lr_encoder = 1e-4, lr_head = 1e-3, weight_decay = 0.01;
  std::uint64_t seed = 0;
  bool progress = true;
  bool mean_pooling = false;     // mean over tokens instead of [CLS] (an MLM-only LM never trains [CLS])
  bool freeze_encoder = false;   // train the head only (a linear probe of the encoder's features)
  bool lora = false;             // train LoRA adapters on query/value (r 8, alpha 8) + head, as the text models do
  double lr_lora = 1e-3;
};

struct TextRegressionResult {
  double val_mae = 0, test_mae = 0, mean_predictor_test_mae = 0;
  int best_epoch = 0;
  double seconds = 0;
};

// ids: token ids per sample ([CLS] ... [SEP]); split: 0 train, 1 val, 2 test.
TextRegressionResult finetune_text_regression(const std::vector<std::vector<std::int32_t>>& ids,
                                              const std::vector<double>& targets,
                                              const std::vector<int>& split, const TextRegressionOptions& opt);

}  // namespace cast
