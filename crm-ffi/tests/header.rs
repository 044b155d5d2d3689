//! The committed header `include/crm.h` is exactly what cbindgen 0.29.4 generates from the sources, its
//! version defines equal Cargo.toml's version, and every function is documented.
//!
//! Regenerate after changing an exported item: `CRM_UPDATE_HEADER=1 cargo test -p crm-ffi --test header`.

use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    crate_dir().join("include").join("crm.h")
}

fn generate() -> String {
    let dir = crate_dir();
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new().with_crate(&dir).with_config(config).generate().expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

fn committed() -> String {
    std::fs::read_to_string(header_path()).expect("include/crm.h exists (generate it with CRM_UPDATE_HEADER=1)")
}

#[test]
fn committed_header_matches_a_fresh_generation() {
    let fresh = generate();
    if std::env::var_os("CRM_UPDATE_HEADER").is_some() {
        std::fs::write(header_path(), &fresh).expect("write include/crm.h");
        return;
    }
    let old = committed();
    if old != fresh {
        let first = old.lines().zip(fresh.lines()).position(|(a, b)| a != b).unwrap_or(old.lines().count().min(fresh.lines().count()));
        panic!(
            "crm-ffi/include/crm.h is stale (first difference at line {}): regenerate with \
             `CRM_UPDATE_HEADER=1 cargo test -p crm-ffi --test header` and commit it",
            first + 1
        );
    }
}

fn define(header: &str, name: &str) -> String {
    let prefix = format!("#define {name} ");
    header.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("header has no {name}")).trim().to_string()
}

#[test]
fn version_defines_equal_cargo_version() {
    let h = committed();
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
    let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
    assert_eq!(define(&h, "CRM_VERSION"), format!("\"{}\"", env!("CARGO_PKG_VERSION")));
    assert_eq!(define(&h, "CRM_VERSION_MAJOR"), major.to_string());
    assert_eq!(define(&h, "CRM_VERSION_MINOR"), minor.to_string());
    assert_eq!(define(&h, "CRM_VERSION_PATCH"), patch.to_string());
    assert!(minor < 256 && patch < 256, "CRM_VERSION_NUMBER packs minor and patch in 8 bits each");
    // The numeric macro shifts each part once (rustls-ffi's shifts MINOR twice); its value is also checked by
    // compiling it in C (tests/c/errors.c via tests/c_programs.rs).
    assert_eq!(define(&h, "CRM_VERSION_NUMBER"), "((CRM_VERSION_MAJOR << 16) | (CRM_VERSION_MINOR << 8) | CRM_VERSION_PATCH)");
    let v = unsafe { std::ffi::CStr::from_ptr(crm_ffi::crm_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

/// Every exported function carries a doc comment that states ownership/lifetime and thread-safety.
#[test]
fn every_function_is_documented() {
    let h = committed();
    let lines: Vec<&str> = h.lines().collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(open) = line.find("crm_").filter(|_| {
            line.contains('(') && !line.starts_with(' ') && !line.starts_with('#') && !line.starts_with('/') && !line.starts_with(" *")
        }) else {
            continue;
        };
        let name: String = line[open..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let mut doc = String::new();
        for l in lines[..i].iter().rev() {
            let t = l.trim_start();
            if t.starts_with("/*") || t.starts_with('*') {
                doc.insert_str(0, t);
                if t.starts_with("/*") {
                    break;
                }
            } else {
                break;
            }
        }
        assert!(!doc.is_empty(), "{name} has no doc comment in the header");
        assert!(doc.to_lowercase().contains("thread"), "{name}: doc does not state thread-safety");
        checked += 1;
    }
    assert!(checked >= 25, "expected the exported functions in the header, found {checked}");
    assert!(Path::new(&header_path()).exists());
}
