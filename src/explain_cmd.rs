//! `leadroute explain`: the long explanation of a diagnostic code.

use leadroute_compiler::Code;

use crate::cli::ExplainArgs;

/// Prints the explanation and returns the exit status (2 for an unknown code).
pub fn run(args: &ExplainArgs) -> u8 {
    if args.list {
        for code in Code::ALL {
            println!("{code}  {}", code.title());
        }
        return 0;
    }
    let text = args.code.as_deref().unwrap_or_default();
    match Code::parse(text) {
        Some(code) => {
            print!("{}", code.explanation());
            0
        }
        None => {
            eprintln!("leadroute: `{text}` is not a diagnostic code; `leadroute explain --list` shows them all");
            2
        }
    }
}
