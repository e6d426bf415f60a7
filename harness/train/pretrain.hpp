// The two pretraining schemes of Table 1 (`cast pretrain --kind mnp|contrastive`):
//   mnp          CAST's masked node prediction: each node masked with probability 0.5 (at least
//                one per structure), its element index set to 118 and its element features
//                zeroed so nothing leaks; cross-entropy over 118 elements from the fused node
//                states; the text is left intact.
//   contrastive  MultiMat's CLIP loss between coGN and frozen-text embeddings, temperature 0.2
//                (fixed), in-batch negatives, batch 360.
// Both write weights a `cast train --init-from` run starts from.
#pragma once
#include <random>
#include <string>

#include "models/cogn.hpp"
#include "train/trainer.hpp"

namespace cast {

struct PretrainResult {
  std::vector<double> train_loss, val_metric;  // per epoch; mnp: masked-element accuracy, contrastive: val loss
  double baseline = 0;                         // mnp: most-frequent-element rate on the validation masks
  std::string weights;                         // path of the written weights
};

// Masks nodes of a batch in place; returns the true element indices of masked nodes ([N], -100
// where not masked).
torch::Tensor mask_nodes(models::GraphBatch& g, double prob, std::mt19937_64& rng);

PretrainResult pretrain_mnp(const Dataset& d, const TrainConfig& c, double mask_prob = 0.5,
                            const std::function<void(int, double, double)>& on_epoch = {});
PretrainResult pretrain_contrastive(const Dataset& d, const TrainConfig& c, double temperature = 0.2,
                                    const std::function<void(int, double, double)>& on_epoch = {});

}  // namespace cast
