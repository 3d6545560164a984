//! The external inputs file of `autotrigger run`: a CSV with header `t_s,input,value`, one
//! input a row (for example `12.5,holster,drawn`), times non-decreasing. The sources and
//! values are those of [`Input::parse`]. Empty lines and lines starting with `#` are skipped.

use crate::io::IoError;
use crate::time::Timestamp;
use crate::trigger::Input;
use std::path::Path;

/// Reads an inputs file. Errors name the file and the line.
pub fn read_inputs(path: &Path) -> Result<Vec<(Timestamp, Input)>, IoError> {
    let text = std::fs::read_to_string(path).map_err(|e| IoError::io(path, e))?;
    parse_inputs(path, &text)
}

/// Parses the text of an inputs file (`path` only names it in errors).
pub fn parse_inputs(path: &Path, text: &str) -> Result<Vec<(Timestamp, Input)>, IoError> {
    let mut out = Vec::new();
    let mut header = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header {
            if cols != ["t_s", "input", "value"] {
                return Err(IoError::parse(
                    path,
                    n,
                    format!("expected the header `t_s,input,value`, found `{line}`"),
                ));
            }
            header = true;
            continue;
        }
        if cols.len() != 3 {
            return Err(IoError::parse(
                path,
                n,
                format!("expected 3 columns `t_s,input,value`, found {}", cols.len()),
            ));
        }
        let t: f64 = cols[0]
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite() && *t >= 0.0)
            .ok_or_else(|| {
                IoError::parse(
                    path,
                    n,
                    format!("bad time `{}`: expected seconds >= 0", cols[0]),
                )
            })?;
        let t = Timestamp::from_secs_f64(t);
        let input = Input::parse(cols[1], cols[2]).ok_or_else(|| {
            IoError::parse(path, n, format!("unknown input `{},{}`", cols[1], cols[2]))
        })?;
        if let Some((prev, _)) = out.last() {
            if t < *prev {
                return Err(IoError::parse(
                    path,
                    n,
                    format!("time {t} is before the previous row's ({prev})"),
                ));
            }
        }
        out.push((t, input));
    }
    if !header {
        return Err(IoError::parse(
            path,
            1,
            "empty file: expected the header `t_s,input,value`",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigger::HolsterState;

    #[test]
    fn parses_and_names_bad_lines() {
        let p = Path::new("x.inputs.csv");
        let ok = parse_inputs(
            p,
            "t_s,input,value\n# comment\n1.5,holster,drawn\n2,light_bar,on\n",
        )
        .unwrap();
        assert_eq!(
            ok,
            vec![
                (
                    Timestamp::from_millis(1_500),
                    Input::Holster(HolsterState::Drawn)
                ),
                (Timestamp::from_millis(2_000), Input::LightBar(true)),
            ]
        );
        for (text, line, what) in [
            ("t,input,value\n", 1, "header"),
            ("t_s,input,value\n1,holster\n", 2, "3 columns"),
            ("t_s,input,value\nx,holster,drawn\n", 2, "bad time"),
            ("t_s,input,value\n1,holster,sideways\n", 2, "unknown input"),
            ("t_s,input,value\n2,siren,on\n1,siren,off\n", 3, "before"),
            ("", 1, "empty"),
        ] {
            let e = parse_inputs(p, text).unwrap_err().to_string();
            assert!(e.starts_with(&format!("x.inputs.csv:{line}: ")), "{e}");
            assert!(e.contains(what), "{e}");
        }
    }
}
