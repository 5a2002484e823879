cd /tmp; rm -rf /tmp/p5; mkdir -p /tmp/p5/xdg; chmod 755 /tmp/p5
node /work/wt/rootless/dist/bundle-busybox.cjs /tmp/p5/b --args 'echo hi' >/dev/null; rm /tmp/p5/b/config.json
chown -R tsrun:tsrun /tmp/p5
R="runuser -u tsrun -- env XDG_RUNTIME_DIR=/tmp/p5/xdg"
T=/work/wt/rootless/bin/tsrun
cd /tmp/p5/b
$R $T spec --rootless
$R sed -i 's/"terminal": true/"terminal": false/' config.json
echo "== single map, no cgroup"; $R $T run a1
$R node -e '
const fs=require("fs");const s=JSON.parse(fs.readFileSync("config.json"));
s.linux.uidMappings=[{containerID:0,hostID:1000,size:1},{containerID:1,hostID:100000,size:65536}];
s.linux.gidMappings=[{containerID:0,hostID:1000,size:1},{containerID:1,hostID:100000,size:65536}];
fs.writeFileSync("config.json",JSON.stringify(s));'
echo "== multi map, no cgroup"; $R $T --debug --log /tmp/p5/log1 run a2; tail -3 /tmp/p5/log1
$R node -e '
const fs=require("fs");const s=JSON.parse(fs.readFileSync("config.json"));
s.linux.cgroupsPath="/user.slice/user-1000.slice/user@1000.service/p5/c1";
fs.writeFileSync("config.json",JSON.stringify(s));'
echo "== multi map, cgroup"; $R $T --debug --log /tmp/p5/log2 run a3; tail -5 /tmp/p5/log2
$R node -e '
const fs=require("fs");const s=JSON.parse(fs.readFileSync("config.json"));
s.linux.uidMappings=[{containerID:0,hostID:1000,size:1}];s.linux.gidMappings=[{containerID:0,hostID:1000,size:1}];
fs.writeFileSync("config.json",JSON.stringify(s));'
echo "== single map, cgroup"; $R $T --debug --log /tmp/p5/log3 run a4; tail -3 /tmp/p5/log3
$R $T --debug create --dry-run a5 2>&1 | head -30
