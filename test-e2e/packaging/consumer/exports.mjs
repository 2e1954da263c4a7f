// Run in a project where the packages are installed from their tarballs: prints, as JSON, the names each
// specifier in argv exports at run time (the test compares them with the repository's api/*.txt lists).
const out = {};
for (const specifier of process.argv.slice(2)) out[specifier] = Object.keys(await import(specifier)).sort();
console.log(JSON.stringify(out));
