# Sourced by start.sh and test.sh: create ./.venv and install into it only when pyproject.toml changed since
# the last install (a stamp in .venv), so a second start runs no pip at all.
install_once() {  # install_once TARGET LABEL [extra pip arguments...]
    local target="$1" label="$2"
    shift 2
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    local stamp=".venv/.installed-$(echo "$target" | tr -c 'a-z' '_')"
    local wanted
    wanted="$(cat pyproject.toml "$@" 2>/dev/null | "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    echo "Installing $label into .venv (the first time takes a few minutes; later starts skip this)..." >&2
    .venv/bin/python -m pip install --disable-pip-version-check -e "$target" >&2 ||
        { echo "The install failed: see pip's output above." >&2; exit 1; }
    echo "$wanted" > "$stamp"
}
