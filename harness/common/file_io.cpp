#include "common/file_io.hpp"

#include <dirent.h>
#include <algorithm>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "common/error.hpp"

namespace cast {

namespace {
struct GzFile {
  gzFile f = nullptr;
  explicit GzFile(const std::string& path) : f(gzopen(path.c_str(), "rb")) {
    if (!f) fail(path, ": cannot open (", std::strerror(errno), "); check the path and permissions");
    gzbuffer(f, 1 << 18);
  }
  ~GzFile() { if (f) gzclose(f); }
  // Returns bytes read; throws on a corrupt or truncated stream.
  std::size_t read(char* buf, unsigned n, const std::string& path) {
    int got = gzread(f, buf, n);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      fail(path, ": corrupt or truncated gzip stream (", msg, "); download or copy the file again");
    }
    if (got == 0 && !gzeof(f)) fail(path, ": read error");
    return static_cast<std::size_t>(got);
  }
};
}  // namespace

std::string read_file(const std::string& path) {
  if (is_directory(path)) fail(path, ": is a directory, expected a file");
  GzFile gz(path);
  std::string out;
  std::vector<char> buf(1 << 20);
  for (;;) {
    std::size_t n = gz.read(buf.data(), static_cast<unsigned>(buf.size()), path);
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  // zlib reports a truncated gzip member only as a premature EOF: check the trailer was seen.
  int err = 0;
  gzerror(gz.f, &err);
  if (err != Z_OK && err != Z_BUF_ERROR) fail(path, ": corrupt gzip stream");
  return out;
}

void for_each_line(const std::string& path,
                   const std::function<bool(std::string&&, std::size_t)>& fn) {
  GzFile gz(path);
  std::vector<char> buf(1 << 20);
  std::string line;
  std::size_t lineno = 0;
  for (;;) {
    std::size_t n = gz.read(buf.data(), static_cast<unsigned>(buf.size()), path);
    if (n == 0) break;
    std::size_t start = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        line.append(buf.data() + start, i - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!fn(std::move(line), ++lineno)) return;
        line.clear();
        start = i + 1;
      }
    }
    line.append(buf.data() + start, n - start);
  }
  if (!line.empty()) fn(std::move(line), ++lineno);
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os) {
      const auto slash = path.find_last_of('/');
      const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
      if (!is_directory(dir)) fail(path, ": cannot write: the folder ", dir, " does not exist (create it, or write elsewhere)");
      fail(path, ": cannot write (", std::strerror(errno), ")");
    }
    os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    os.flush();
    if (!os) fail(tmp, ": write failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(path, ": cannot rename temporary file into place (", std::strerror(errno), ")");
  }
}

std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::uint64_t hash_file(const std::string& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) fail(path, ": cannot open for hashing");
  std::vector<char> buf(1 << 20);
  std::uint64_t h = 0xcbf29ce484222325ULL;
  while (is) {
    is.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h = fnv1a64(buf.data(), static_cast<std::size_t>(is.gcount()), h);
  }
  return h;
}

void make_directories(const std::string& dir) {
  std::string cur;
  if (!dir.empty() && dir[0] == '/') cur = "/";
  std::size_t start = 0;
  while (start <= dir.size()) {
    std::size_t slash = dir.find('/', start);
    if (slash == std::string::npos) slash = dir.size();
    const std::string part = dir.substr(start, slash - start);
    if (!part.empty()) {
      cur += part + "/";
      ::mkdir(cur.c_str(), 0755);
    }
    start = slash + 1;
  }
  if (!is_directory(dir)) fail(dir, ": cannot create this folder (", std::strerror(errno), ")");
}

std::vector<std::string> list_directory(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) fail(dir, ": cannot list this folder (", std::strerror(errno), ")");
  std::vector<std::string> out;
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace cast
