// A WordPiece vocabulary trainer for the domain LM (Hugging Face tokenizers' WordPieceTrainer
// semantics: BPE merges over basic-tokenised words, continuation pieces prefixed "##").
// Output order: the five special tokens, the alphabet, then merges in the order found.
#pragma once
#include <string>
#include <vector>

#include "text/wordpiece.hpp"

namespace cast::text {

struct VocabTrainerOptions {
  std::size_t vocab_size = 8000;
  std::size_t min_frequency = 2;   // a merge must occur at least this often
  TokenizerOptions tokenizer;      // lower-casing etc., as the tokenizer that will use it
};

std::vector<std::string> train_wordpiece_vocab(const std::vector<std::string>& corpus,
                                               const VocabTrainerOptions& opt = {});
void write_vocab(const std::vector<std::string>& tokens, const std::string& path);

}  // namespace cast::text
