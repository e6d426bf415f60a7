// Whole-file and line-by-line reading with transparent gzip (by magic bytes, not by extension),
// and atomic writes (temp file + rename) so that an interrupted write never leaves a torn file.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cast {

// Reads a file, decompressing it when it starts with the gzip magic. Throws InputError naming
// the path when it cannot be opened or the gzip stream is truncated.
std::string read_file(const std::string& path);

// Calls fn(line, line_number) for every line (1-based, without '\n'); gzip transparent.
// Stops early when fn returns false.
void for_each_line(const std::string& path,
                   const std::function<bool(std::string&& line, std::size_t line_number)>& fn);

// Writes bytes to path atomically: path + ".tmp-<pid>" then rename.
void write_file_atomic(const std::string& path, const std::string& bytes);

// 64-bit FNV-1a over bytes; stable across platforms and runs (split hashing, cache keys).
std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t seed = 0xcbf29ce484222325ULL);
inline std::uint64_t fnv1a64(const std::string& s, std::uint64_t seed = 0xcbf29ce484222325ULL) {
  return fnv1a64(s.data(), s.size(), seed);
}
// Hash of a file's raw (still compressed) bytes.
std::uint64_t hash_file(const std::string& path);

bool is_directory(const std::string& path);
// The names in a folder (no "." or ".."), sorted; throws InputError naming it when unreadable.
std::vector<std::string> list_directory(const std::string& dir);
// mkdir -p; throws InputError naming the folder when it cannot be created.
void make_directories(const std::string& dir);
bool file_exists(const std::string& path);

}  // namespace cast
