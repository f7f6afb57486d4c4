#pragma once
#include <filesystem>
#include <string>

namespace ut::core {

// Lower-case hex SHA-256 of a file's bytes. Throws InputError when the file cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace ut::core
