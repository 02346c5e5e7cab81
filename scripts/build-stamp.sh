# Sourced by scripts/serve.sh: `build_if_changed` runs `npm run build` only when the build inputs
# (src without the generated client, prisma, the lock file, the tsconfigs) differ from those of the
# last successful build, recorded as a hash in dist/.build-stamp. A second `npm run serve` with
# nothing changed starts at once instead of rebuilding.

build_inputs_hash() {
  local inputs=(src prisma package-lock.json tsconfig.json tsconfig.build.json prisma.config.ts) present=() f
  for f in "${inputs[@]}"; do [ -e "$f" ] && present+=("$f"); done
  find "${present[@]}" -path src/generated -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

build_if_changed() {
  local hash; hash=$(build_inputs_hash)
  if [ -f dist/src/main.js ] && [ "$(cat dist/.build-stamp 2>/dev/null)" = "$hash" ]; then
    echo "Build is up to date (sources unchanged since the last build)."
    return 0
  fi
  echo "Building..."
  npm run -s build
  echo "$hash" > dist/.build-stamp
}
