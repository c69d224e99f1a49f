//! Generators for the table benchmark: a named-accounts CSV (aliases, a few
//! free-mail rows the checker leaves out), a postal-code CSV, and a policy
//! that looks both up. Deterministic: the same sizes give the same files.

use std::path::Path;

/// Reps the accounts are owned by.
pub const REPS: usize = 50;

/// Free-mail domains written as accounts by mistake: the checker warns
/// (W0020) and leaves these rows out.
pub const FREE_MAIL_ROWS: &[&str] = &["gmail.com", "yahoo.com", "outlook.com"];

/// The domain of account `i`.
pub fn account_domain(i: usize) -> String {
    format!("acct{i}.example")
}

/// The postal code of row `i` (five digits, starting at 10000).
pub fn postal_code(i: usize) -> String {
    format!("{:05}", 10_000 + i)
}

/// `rows` accounts: every third has one alias, every seventh a second; plus
/// [`FREE_MAIL_ROWS`] (left out by the checker).
pub fn accounts_csv(rows: usize) -> String {
    let mut s = String::with_capacity(rows * 64);
    s.push_str("domain,aliases,owner,segment,region,notes\n");
    let segments = ["smb", "mid_market", "enterprise"];
    let regions = ["NA", "EMEA", "APAC", ""];
    for i in 0..rows.saturating_sub(FREE_MAIL_ROWS.len()) {
        let mut aliases = Vec::new();
        if i % 3 == 0 {
            aliases.push(format!("acct{i}-alias.example"));
        }
        if i % 7 == 0 {
            aliases.push(format!("www.acct{i}.co.example"));
        }
        s.push_str(&format!("{},{},r{},{},{},\n", account_domain(i), aliases.join(";"), i % REPS, segments[i % 3], regions[i % 4]));
    }
    for (k, d) in FREE_MAIL_ROWS.iter().enumerate() {
        s.push_str(&format!("{d},,r{k},smb,,personal mailbox by mistake\n"));
    }
    s
}

/// `rows` postal codes of the West territory, one column.
pub fn postal_csv(rows: usize) -> String {
    let mut s = String::with_capacity(rows * 6 + 4);
    s.push_str("zip\n");
    for i in 0..rows {
        s.push_str(&postal_code(i));
        s.push('\n');
    }
    s
}

/// The policy: the account's owner first, then the West territory by postal code.
pub fn policy() -> String {
    let mut s = String::from(
        "policy tables_bench {\n  owner \"revops@acme.example\"\n  timezone \"UTC\"\n}\n\
         enum Segment { smb, mid_market, enterprise }\n\
         schema lead {\n  id: string\n  email: string\n  zip: string?\n}\n\
         table accounts from \"accounts.csv\" {\n  domain: domain key\n  aliases: list<domain> alias\n  owner: rep\n  segment: Segment\n  region: string?\n  notes: string?\n}\n\
         table postal_codes from \"postal_codes.csv\" {\n  zip: string key\n}\n\
         queue review { owner \"ops@acme.example\" sla 2h }\n\
         tier named when accounts[email] is present sla 1h\ntier standard otherwise sla 24h\n\
         territory west when zip is present and zip in postal_codes\n\
         territory east when zip is present and zip not in postal_codes\n",
    );
    for r in 0..REPS {
        s.push_str(&format!("rep r{r} {{ email \"r{r}@acme.example\" capacity 1000000 open }}\n"));
    }
    s.push_str("team west_sdr { members [r0, r1] }\nteam east_sdr { members [r2, r3] }\n");
    s.push_str(
        "route inbound {\n  owner: when accounts[email] is present -> assign owner(accounts[email].owner) else queue review\n  \
         west: when territory == west -> assign team west_sdr else queue review\n  \
         east: when territory == east -> assign team east_sdr else queue review\n  otherwise -> queue review\n}\n\
         on ambiguous_territory -> queue review\non no_match -> queue review\n",
    );
    s
}

/// Writes `tables.route`, `accounts.csv` and `postal_codes.csv` into `dir`.
pub fn write(dir: &Path, accounts: usize, postal: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("tables.route"), policy())?;
    std::fs::write(dir.join("accounts.csv"), accounts_csv(accounts))?;
    std::fs::write(dir.join("postal_codes.csv"), postal_csv(postal))
}
