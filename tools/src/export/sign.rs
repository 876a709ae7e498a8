//! `dram keygen`, `dram sign` and `dram verify`: Ed25519 key files and model signing on the
//! host. What is signed and how the signature is stored is defined once, in
//! [`dram_core::signature`]; this module only reads and writes key files.
//!
//! Key files are one line of lower-case hex: the 32-byte secret seed in `NAME.key` (created
//! with mode 0600 on Unix) and the 32-byte public key in `NAME.pub`. Apps embed the public key.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use dram_core::{model_file, signature, Model};

/// Writes a fresh key pair to `PREFIX.key` and `PREFIX.pub`; refuses to overwrite a secret key.
pub fn keygen(prefix: &Path) -> Result<(PathBuf, PathBuf)> {
    let secret_path = prefix.with_extension("key");
    let public_path = prefix.with_extension("pub");
    let mut secret = [0u8; signature::SECRET_KEY_BYTES];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("the OS random generator failed: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&secret_path)
        .with_context(|| format!("creating {} (an existing secret key is never overwritten)", secret_path.display()))?;
    writeln!(file, "{}", hex::encode(secret))?;
    std::fs::write(&public_path, format!("{}\n", hex::encode(signature::public_key(&secret))))
        .with_context(|| format!("writing {}", public_path.display()))?;
    Ok((secret_path, public_path))
}

/// Reads a 32-byte key written by [`keygen`] (either file).
pub fn read_key(path: &Path) -> Result<[u8; 32]> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading key file {}", path.display()))?;
    let mut key = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut key).map_err(|e| {
        anyhow::anyhow!(
            "{}: expected one line of 64 hex digits (as `dram keygen` writes), found {} characters ({e})",
            path.display(),
            text.trim().len()
        )
    })?;
    Ok(key)
}

/// Signs the model at `model` with the secret key file `key` and writes the signed model to
/// `out`; returns the signer's public key. The result is checked by loading it verified.
pub fn sign_file(key: &Path, model: &Path, out: &Path) -> Result<[u8; 32]> {
    let secret = read_key(key)?;
    let bytes = std::fs::read(model).with_context(|| format!("reading {}", model.display()))?;
    let mut proto = model_file::decode(&bytes)?;
    signature::sign(&mut proto, &secret).with_context(|| format!("signing {}", model.display()))?;
    let signed = model_file::encode(&proto);
    let public = signature::public_key(&secret);
    Model::load_verified(&signed, &public).context("the signed model does not verify")?;
    std::fs::write(out, &signed).with_context(|| format!("writing {}", out.display()))?;
    Ok(public)
}

/// Checks that `model` loads with a valid signature by the public key file `public_key`.
pub fn verify_file(public_key: &Path, model: &Path) -> Result<()> {
    let key = read_key(public_key)?;
    let bytes = std::fs::read(model).with_context(|| format!("reading {}", model.display()))?;
    if let Err(err) = Model::load_verified(&bytes, &key) {
        bail!("{}: {err}", model.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_sign_verify_and_refusals() {
        let dir = std::env::temp_dir().join(format!("dram-sign-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (secret, public) = keygen(&dir.join("release")).unwrap();
        assert!(keygen(&dir.join("release")).is_err(), "an existing secret key must not be overwritten");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/models/ranker.onnx");
        let signed = dir.join("signed.onnx");
        assert_eq!(sign_file(&secret, &model, &signed).unwrap(), read_key(&public).unwrap());
        verify_file(&public, &signed).unwrap();
        assert!(verify_file(&public, &model).unwrap_err().to_string().contains("not signed"));
        let (_, other) = keygen(&dir.join("other")).unwrap();
        assert!(verify_file(&other, &signed).unwrap_err().to_string().contains("signed by public key"));
        std::fs::write(dir.join("bad.key"), "xyz\n").unwrap();
        assert!(sign_file(&dir.join("bad.key"), &model, &signed).unwrap_err().to_string().contains("64 hex digits"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
