#!/usr/bin/env bash
# Installs what the app and the tests need: Debian's Fashion-MNIST and Chromium (where apt exists) and the Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  missing=""
  [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing="$missing dataset-fashion-mnist"
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  fc-list 2>/dev/null | grep -qi dejavu || missing="$missing fonts-dejavu-core"
  # The Chinese text of the figures (fashion/i18n.py finds it by its family name)
  fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || missing="$missing fonts-wqy-microhei"
  # The job tests run a throwaway PostgreSQL server (FASHION_JOBS_DATABASE_URL's backend)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
  if [ -n "$missing" ]; then
    echo "Installing with apt:$missing"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq $missing
  fi
else
  echo "No apt here: the app will download Fashion-MNIST with Keras (or set FASHION_MNIST_DIR)."
fi
python3 -m pip install -q -r requirements.txt
