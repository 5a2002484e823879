cd /tmp/p5/b
/work/wt/rootless/bin/tsrun --root /tmp/p5/rootroot run r1 2>&1 | tail -2
echo "--- as tsrun, TSRUN no launcher"
cat /work/wt/rootless/bin/tsrun | head -c 0
runuser -u tsrun -- env XDG_RUNTIME_DIR=/tmp/p5/xdg node /work/wt/rootless/dist/tsrun.cjs run a9 2>&1 | tail -2
dmesg | grep -i segfault | tail -2
uname -r
