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

#include "baselines/regressors.hpp"
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

// One step's losses, as pretraining computes them (and `cast calibrate` times them).
// MNP: mean cross-entropy over the masked nodes (labels -100 elsewhere) of the fused node states.
torch::Tensor mnp_loss(Regressor& cast_model, const ModelBatch& b, const torch::Tensor& labels, bool autocast);
// Contrastive: the pair's graph and text embeddings in fp32, each L2-normalised ([B, D] both).
std::pair<torch::Tensor, torch::Tensor> contrastive_embeddings(ContrastivePair& pair, const ModelBatch& b, bool autocast);
// CLIP's symmetric in-batch cross-entropy of normalised embeddings at a temperature.
torch::Tensor clip_loss(const torch::Tensor& graph, const torch::Tensor& text, double temperature);

PretrainResult pretrain_mnp(const Dataset& d, const TrainConfig& c, double mask_prob = 0.5,
                            const std::function<void(int, double, double)>& on_epoch = {});
PretrainResult pretrain_contrastive(const Dataset& d, const TrainConfig& c, double temperature = 0.2,
                                    const std::function<void(int, double, double)>& on_epoch = {});

}  // namespace cast
