#!/usr/bin/env python3
"""Generate the sample lead batch and rep state for examples/inbound.route.

    python3 examples/tools/gen_leads.py

writes examples/leads.ndjson (600 leads, one JSON object per line) and
examples/state.json, byte-identically on every run (fixed seed, standard
library only), and prints how many leads aim at each path of the policy.

The batch is meant to be routed at 2026-11-24T15:00:00Z (a Tuesday; 10:00 in
New York). It mixes ordinary inbound traffic with every path of `route inbound`
and `route partners`, edge values on the tier thresholds, about 3% invalid
leads (exactly one problem each) and about 1% leads carrying a field the
schema does not know. Nothing in the data marks which lead is which.
"""

from __future__ import annotations

import json
import random
import sys
import unicodedata
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261124
TOTAL = 600
ROUTING_CLOCK = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)
STALE_AFTER = timedelta(days=14)
# Fresh leads arrive between these two instants; stale ones before STALE_LATEST.
FRESH_EARLIEST = datetime(2026, 11, 10, 16, 0, tzinfo=timezone.utc)
FRESH_LATEST = datetime(2026, 11, 24, 14, 59, 0, tzinfo=timezone.utc)
STALE_EARLIEST = datetime(2026, 10, 19, 12, 0, tzinfo=timezone.utc)
STALE_LATEST = datetime(2026, 11, 10, 14, 0, tzinfo=timezone.utc)

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent

# ---------------------------------------------------------------- the policy, as data
# (copied from examples/inbound.route; keep in sync when the policy changes)
US_WEST = ["AK", "AZ", "CA", "CO", "HI", "ID", "KS", "MT", "ND", "NE", "NM", "NV", "OK",
           "OR", "SD", "TX", "UT", "WA", "WY"]
US_EAST = ["AL", "AR", "CT", "DC", "DE", "FL", "GA", "IA", "IL", "IN", "KY", "LA", "MA", "MD",
           "ME", "MI", "MN", "MO", "MS", "NC", "NH", "NJ", "NY", "OH", "PA", "RI", "SC", "TN",
           "VA", "VT", "WI", "WV"]
EMEA = ["GB", "IE", "DE", "AT", "CH", "FR", "BE", "NL", "LU", "ES", "PT", "IT", "SE", "DK",
        "NO", "FI", "PL", "IL", "AE", "ZA"]
APAC = ["JP", "SG", "AU", "NZ", "IN", "KR", "HK", "MY"]
FREE_DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "proton.me"]
INTERNAL_DOMAINS = ["acme.example", "qa.acme.example"]
SOURCES = ["chat", "paid", "web", "partner", "event", "referral"]
SEGMENTS = ["smb", "mid_market", "enterprise"]
REPS = ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "hugo", "ines", "kenji", "priya",
        "sam", "sue", "sid", "paula", "tariq", "victor"]
ACCOUNT_OWNERS_TEAM = ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "hugo", "ines",
                       "kenji", "priya", "victor"]
INACTIVE = {"frank"}
FIELDS = ["id", "email", "company", "country", "state", "employees", "segment", "intent", "source",
          "campaign", "account_owner", "created_at", "tags"]


# ---------------------------------------------------------------- reference classifier
# Mirrors the conditions of inbound.route (not rep availability, which depends on the
# state file and the clock): which rule's condition a lead meets first.

def tier_of(lead: dict) -> tuple[str, str]:
    intent = lead["intent"]
    employees = lead.get("employees")
    employees = 0 if employees is None else employees          # on missing(employees) -> assume 0
    if intent >= 80.0:
        return "hot", "intent>=80"
    if lead["source"] == "chat":
        return "hot", "chat"
    if employees >= 1000 and intent >= 50.0:
        return "hot", "employees>=1000"
    if intent >= 40.0:
        return "warm", "intent>=40"
    if (lead.get("campaign") or "").startswith("abm-"):
        return "warm", "abm- campaign"
    return "cold", "otherwise"


def territory_of(lead: dict) -> str:
    country, state = lead["country"], lead.get("state")
    if country == "US" and state is not None and state in US_WEST:
        return "us_west"
    if country == "US" and state is not None and state in US_EAST:
        return "us_east"
    if country in EMEA:
        return "emea"
    if country in APAC:
        return "apac"
    return "none"


def domain(email: str) -> str:
    return email.rsplit("@", 1)[1]


INBOUND_RULES = ["junk", "partner_sourced", "stale", "vip", "known_account", "hot_west", "hot_east",
                 "emea", "apac", "personal", "unplaced", "warm", "big_logo", "otherwise"]


def inbound_rule(lead: dict, start: int = 0) -> str:
    """Name of the first rule of `route inbound` (from index `start`) whose condition holds."""
    tier, _ = tier_of(lead)
    terr = territory_of(lead)
    created = parse_time(lead["created_at"])
    employees = lead.get("employees")
    employees = 0 if employees is None else employees
    conds = {
        "junk": "spam" in lead["tags"] or domain(lead["email"]) in INTERNAL_DOMAINS,
        "partner_sourced": lead["source"] == "partner",
        "stale": ROUTING_CLOCK - created > STALE_AFTER,
        "vip": "vip" in lead["tags"],
        "known_account": lead.get("account_owner") is not None,
        "hot_west": tier == "hot" and terr == "us_west",
        "hot_east": tier == "hot" and terr == "us_east",
        "emea": terr == "emea" and tier in ("hot", "warm"),
        "apac": terr == "apac" and tier != "cold",
        "personal": domain(lead["email"]) in FREE_DOMAINS and tier != "hot",
        "unplaced": tier == "hot" and terr == "none",
        "warm": tier == "warm",
        "big_logo": employees >= 1000 or lead.get("segment") == "enterprise",
        "otherwise": True,
    }
    for name in INBOUND_RULES[start:]:
        if conds[name]:
            return name
    raise AssertionError("unreachable: otherwise always matches")


def partners_rule(lead: dict) -> str:
    if "deal-registration" in lead["tags"]:
        return "deal_reg"
    if tier_of(lead)[0] in ("hot", "warm"):
        return "hot/warm"
    return "otherwise"


def owner_kind(owner: str) -> str:
    if owner in INACTIVE:
        return "inactive AE (frank): falls through"
    if owner in ACCOUNT_OWNERS_TEAM:
        return "AE in account_owners"
    if owner in REPS:
        return "rep outside account_owners (assign owner)"
    return "not a rep (no_match -> crm_hygiene)"


def parse_time(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def fmt_time(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- people and companies
NAMES = {
    "en": (["James", "Mary", "Michael", "Jennifer", "David", "Linda", "Chris", "Sarah", "Daniel", "Emily",
            "Matthew", "Jessica", "Ryan", "Ashley", "Kevin", "Megan", "Brian", "Laura", "Jason", "Rachel",
            "Tyler", "Nicole", "Andrew", "Hannah", "Marcus", "Olivia", "Ethan", "Grace", "Noah", "Chloe",
            "Aaron", "Priscilla", "Derek", "Tanya", "Omar", "Aisha", "Wei", "Mei", "Carlos", "Sofia"],
           ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
            "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
            "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Carter",
            "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Nguyen",
            "Patel", "Kim", "Chen", "Garcia", "Lopez", "O'Brien", "Murphy", "Kelly", "Sullivan"]),
    "de": (["Jonas", "Lukas", "Leon", "Felix", "Maximilian", "Anna", "Lena", "Laura", "Julia", "Sophie",
            "Katrin", "Stefan", "Tobias", "Sabine", "Jürgen", "Anja", "Matthias", "Petra"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
            "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Huber", "Gruber"]),
    "fr": (["Camille", "Léa", "Manon", "Chloé", "Julien", "Thomas", "Nicolas", "Antoine", "Mathilde", "Hugo",
            "Louis", "Élodie", "Sébastien", "Claire"],
           ["Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel",
            "Leroy", "Roux", "Fournier", "Girard", "Peeters", "Janssens"]),
    "es": (["María", "José", "Carmen", "Javier", "Lucía", "Pablo", "Alejandro", "Marta", "Diego", "Sofía",
            "Andrés", "Valentina", "Mateo", "Camila", "João", "Beatriz", "Rafael", "Gabriela"],
           ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
            "Díaz", "Silva", "Santos", "Oliveira", "Costa", "Ramírez", "Torres", "Herrera", "Castro"]),
    "it": (["Giulia", "Marco", "Francesca", "Luca", "Alessandro", "Chiara", "Matteo", "Elena"],
           ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"]),
    "nl": (["Daan", "Sanne", "Lotte", "Bram", "Jeroen", "Femke", "Ruben", "Eva"],
           ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Mulder"]),
    "nordic": (["Erik", "Lars", "Anna", "Ingrid", "Mikael", "Sofie", "Johan", "Freja", "Mikko", "Aino"],
               ["Andersson", "Johansson", "Nielsen", "Hansen", "Larsen", "Karlsson", "Virtanen", "Berg"]),
    "pl": (["Piotr", "Anna", "Katarzyna", "Tomasz", "Marta", "Paweł"],
           ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski"]),
    "il": (["Noa", "Yossi", "Tamar", "Eitan", "Maya", "Avi"], ["Cohen", "Levi", "Mizrahi", "Peretz", "Biton"]),
    "ae": (["Ahmed", "Fatima", "Omar", "Layla", "Khalid", "Noor"], ["Al Mansoori", "Haddad", "Khan", "Rahman", "Nasser"]),
    "ja": (["Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takeshi", "Yuki", "Kenta", "Sakura"],
           ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi"]),
    "ko": (["Minjun", "Seoyeon", "Jiho", "Haeun", "Dohyun"], ["Kim", "Lee", "Park", "Choi", "Jung"]),
    "in": (["Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rahul", "Divya"],
           ["Sharma", "Patel", "Iyer", "Reddy", "Gupta", "Nair", "Menon", "Singh", "Rao", "Agarwal"]),
    "sea": (["Wei Ling", "Jun Jie", "Hui Min", "Siti", "Farid", "Mei Ling", "Ka Wai", "Ryan", "Nurul", "Daniel"],
            ["Tan", "Lim", "Lee", "Ng", "Wong", "Chan", "Rahman", "Ismail", "Goh", "Teo"]),
}
LANG = {"US": "en", "CA": "en", "GB": "en", "IE": "en", "AU": "en", "NZ": "en", "ZA": "en",
        "DE": "de", "AT": "de", "CH": "de", "FR": "fr", "BE": "fr", "LU": "fr",
        "ES": "es", "PT": "es", "MX": "es", "BR": "es", "AR": "es", "CO": "es", "CL": "es",
        "IT": "it", "NL": "nl", "SE": "nordic", "DK": "nordic", "NO": "nordic", "FI": "nordic",
        "PL": "pl", "IL": "il", "AE": "ae", "JP": "ja", "KR": "ko", "IN": "in",
        "SG": "sea", "MY": "sea", "HK": "sea", "CN": "sea", "TW": "sea"}
TLD = {"US": [".com", ".com", ".com", ".io", ".ai", ".co"], "CA": [".ca", ".com"], "MX": [".com.mx", ".mx"],
       "BR": [".com.br"], "AR": [".com.ar"], "CO": [".com.co", ".co"], "CL": [".cl"],
       "GB": [".co.uk", ".com", ".io"], "IE": [".ie", ".com"], "DE": [".de", ".de", ".com"], "AT": [".at"],
       "CH": [".ch"], "FR": [".fr", ".com"], "BE": [".be"], "NL": [".nl", ".com"], "LU": [".lu"],
       "ES": [".es", ".com"], "PT": [".pt"], "IT": [".it"], "SE": [".se", ".com"], "DK": [".dk"],
       "NO": [".no"], "FI": [".fi"], "PL": [".pl"], "IL": [".co.il", ".com", ".io"], "AE": [".ae", ".com"],
       "ZA": [".co.za"], "JP": [".co.jp", ".jp", ".com"], "SG": [".com.sg", ".sg", ".com"], "AU": [".com.au"],
       "NZ": [".co.nz"], "IN": [".in", ".co.in", ".com"], "KR": [".co.kr", ".com"], "HK": [".com.hk", ".hk"],
       "MY": [".com.my", ".my"], "CN": [".cn", ".com.cn"], "TW": [".com.tw"]}
LEGAL = {"US": ["Inc.", "", "", "LLC"], "CA": ["Inc.", ""], "GB": ["Ltd", ""], "IE": ["Ltd", ""],
         "DE": ["GmbH", "GmbH", "AG"], "AT": ["GmbH"], "CH": ["AG", "GmbH"], "FR": ["SAS", "SA", ""],
         "BE": ["NV", "SA"], "NL": ["B.V."], "LU": ["S.A."], "ES": ["S.L.", "S.A."], "PT": ["Lda."],
         "IT": ["S.r.l.", "S.p.A."], "SE": ["AB"], "DK": ["A/S"], "NO": ["AS"], "FI": ["Oy"],
         "PL": ["sp. z o.o."], "IL": ["Ltd", ""], "AE": ["LLC", "FZ-LLC"], "ZA": ["(Pty) Ltd"],
         "JP": ["K.K.", "Co., Ltd."], "SG": ["Pte. Ltd."], "AU": ["Pty Ltd"], "NZ": ["Ltd"],
         "IN": ["Pvt. Ltd.", "Ltd"], "KR": ["Co., Ltd."], "HK": ["Limited"], "MY": ["Sdn. Bhd."],
         "MX": ["S.A. de C.V."], "BR": ["Ltda.", "S.A."], "AR": ["S.A.", "S.R.L."], "CO": ["S.A.S."],
         "CL": ["SpA"], "CN": ["Co., Ltd."], "TW": ["Co., Ltd."]}
PREFIXES = ["North", "Blue", "Bright", "Silver", "Iron", "Clear", "Swift", "Cedar", "Harbor", "Summit",
            "Pioneer", "Lumen", "Vertex", "Orbit", "Quartz", "Maple", "Granite", "Atlas", "Nimbus", "Cobalt",
            "Falcon", "Juniper", "Beacon", "Copper", "Evergreen", "Keystone", "Meridian", "Redwood", "Sterling",
            "Tidal", "Polar", "Echo", "Kite", "Ember", "Crescent", "Aspen", "Willow", "Prairie", "Signal",
            "Halcyon", "Kestrel", "Osprey", "Sable", "Verdant", "Zenith", "Lark", "Alder", "Basalt"]
CORES = ["wave", "peak", "stone", "field", "bridge", "point", "line", "works", "path", "forge", "leaf",
         "gate", "light", "view", "ridge", "loop", "stack", "grid", "mark", "shift", "yard", "spring"]
INDUSTRIES = ["Analytics", "Logistics", "Health", "Payments", "Software", "Labs", "Systems", "Robotics",
              "Energy", "Insurance", "Capital", "Foods", "Retail", "Security", "Cloud", "Media", "Learning",
              "Bio", "Freight", "Manufacturing", "Networks", "Data", "Commerce", "Legal", "Travel", "Telecom"]
LOCAL_FLAVOUR = {"DE": ["Logistik", "Maschinenbau", "Versicherung", "Technik"], "FR": ["Conseil", "Santé", "Énergie"],
                 "ES": ["Soluciones", "Energía", "Logística"], "JP": ["Shoji", "Denki", "Seimitsu"],
                 "BR": ["Tecnologia", "Logística"], "MX": ["Soluciones", "Logística"], "IT": ["Meccanica", "Servizi"]}

US_STATE_WEIGHTS = {"CA": 14, "TX": 10, "NY": 9, "FL": 7, "IL": 5, "PA": 4, "OH": 4, "GA": 4, "NC": 4,
                    "MI": 3, "NJ": 4, "VA": 4, "WA": 5, "AZ": 3, "MA": 5, "CO": 4, "TN": 2, "IN": 2, "MO": 2,
                    "MD": 2, "WI": 2, "MN": 2, "OR": 2, "UT": 2, "NV": 1, "CT": 1, "DC": 2, "SC": 1, "AL": 1,
                    "KY": 1, "LA": 1, "OK": 1, "IA": 1, "KS": 1, "NE": 1, "NM": 1, "ID": 1, "NH": 1, "RI": 1,
                    "DE": 1, "ME": 1, "HI": 1, "AK": 1, "MT": 1, "WY": 1, "SD": 1, "ND": 1, "VT": 1, "WV": 1,
                    "AR": 1, "MS": 1}
EMEA_WEIGHTS = {"GB": 10, "DE": 8, "FR": 5, "NL": 4, "ES": 3, "IE": 2, "SE": 2, "CH": 2, "IT": 2, "AT": 1,
                "BE": 1, "DK": 1, "NO": 1, "FI": 1, "PL": 2, "IL": 2, "AE": 1, "ZA": 1, "PT": 1, "LU": 1}
APAC_WEIGHTS = {"AU": 5, "JP": 4, "SG": 4, "IN": 4, "NZ": 1, "KR": 1, "HK": 1, "MY": 1}
UNCOVERED_WEIGHTS = {"CA": 5, "BR": 4, "MX": 3, "AR": 1, "CO": 1, "CL": 1, "CN": 1, "TW": 1}

TAGS_COMMON = ["demo-request", "pricing-page", "webinar", "ebook", "free-trial", "contact-sales",
               "case-study", "g2-review", "newsletter", "roi-calculator", "integration-page"]
CAMPAIGNS = ["q4-demo-push", "brand-search", "competitor-search", "retargeting-nov", "webinar-2026-11-revops",
             "g2-comparison", "linkedin-lead-gen", "black-friday-trial", "routing-101-ebook", "newsletter-nov"]
ABM_CAMPAIGNS = ["abm-q4-fintech", "abm-tier1-enterprise", "abm-dach-expansion",
                 "abm-healthcare-2026", "abm-named-accounts-east", "abm-retail-q4"]
EVENT_CAMPAIGNS = ["event-saastr-annual", "event-revops-summit", "event-dreamforce-booth", "event-web-summit"]


def ascii_fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def slug(s: str) -> str:
    return "".join(c for c in ascii_fold(s).lower() if c.isalnum())


class Gen:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.company_pools: dict[str, list[tuple[str, str]]] = {}

    # ---- places
    def wpick(self, weights: dict[str, int]) -> str:
        keys = list(weights)
        return self.rng.choices(keys, [weights[k] for k in keys])[0]

    def place(self, where: str) -> tuple[str, str | None]:
        """(country, state) for a territory name, or for a flavour of `none`."""
        r = self.rng
        if where == "us_west":
            return "US", self.wpick({k: v for k, v in US_STATE_WEIGHTS.items() if k in US_WEST})
        if where == "us_east":
            return "US", self.wpick({k: v for k, v in US_STATE_WEIGHTS.items() if k in US_EAST})
        if where == "us":
            return "US", self.wpick(US_STATE_WEIGHTS)
        if where == "emea":
            return self.wpick(EMEA_WEIGHTS), None
        if where == "apac":
            return self.wpick(APAC_WEIGHTS), None
        if where == "us_nostate":
            return "US", None
        if where == "uncovered":
            country = self.wpick(UNCOVERED_WEIGHTS)
            if country == "CA" and r.random() < 0.4:
                return "CA", r.choice(["ON", "BC", "QC", "AB"])   # a province, not a US state
            return country, None
        if where == "none":
            x = r.random()
            return self.place("us_nostate" if x < 0.45 else "uncovered")
        if where == "any":
            x = r.random()
            if x < 0.62:
                return self.place("us")
            if x < 0.80:
                return self.place("emea")
            if x < 0.88:
                return self.place("apac")
            return self.place("none")
        raise ValueError(where)

    # ---- people, companies, emails
    def person(self, country: str) -> tuple[str, str]:
        first, last = NAMES[LANG.get(country, "en")]
        return self.rng.choice(first), self.rng.choice(last)

    def new_company(self, country: str) -> tuple[str, str]:
        r = self.rng
        word = r.choice(PREFIXES) + r.choice(CORES)
        x = r.random()
        if country in LOCAL_FLAVOUR and x < 0.35:
            industry = r.choice(LOCAL_FLAVOUR[country])
        else:
            industry = r.choice(INDUSTRIES)
        name = f"{word} {industry}"
        legal = r.choice(LEGAL.get(country, [""]))
        if legal and r.random() < 0.5:
            name = f"{name} {legal}" if not legal.startswith(",") else name + legal
        tld = r.choice(TLD.get(country, [".com"]))
        style = r.random()
        if style < 0.55:
            dom = slug(word) + tld
        elif style < 0.85:
            dom = slug(word) + slug(industry) + tld
        else:
            dom = ("get" if r.random() < 0.5 else "try") + slug(word) + tld
        return name, dom

    def company(self, country: str, reuse: bool) -> list:
        """[name, domain, employees, segment] from a per-country pool, so some companies send
        several leads (with the same enrichment); employees/segment are filled in by the caller."""
        pool = self.company_pools.setdefault(country, [])
        if reuse and len(pool) >= 3 and self.rng.random() < 0.22:
            return self.rng.choice(pool)
        c = [*self.new_company(country), "unset", "unset"]
        pool.append(c)
        return c

    def work_email(self, first: str, last: str, dom: str) -> str:
        r = self.rng
        f, l = slug(first), slug(last)
        x = r.random()
        if x < 0.40:
            local = f"{f}.{l}"
        elif x < 0.60:
            local = f"{f[0]}{l}"
        elif x < 0.75:
            local = f
        elif x < 0.83:
            local = f"{f}{l[0]}"
        elif x < 0.90:
            local = f"{f}_{l}"
        else:
            local = r.choice(["sales", "info", "it", "ops", "procurement", "marketing", "revops", "hello"])
        return f"{local}@{dom}"

    def free_email(self, first: str, last: str) -> str:
        r = self.rng
        f, l = slug(first), slug(last)
        local = r.choice([f"{f}.{l}", f"{f}{l}{r.randint(1, 99)}", f"{f[0]}{l}{r.randint(1970, 2004)}",
                          f"{f}.{l}.{r.randint(1, 9)}", f"{f}+work", f"{l}{f[0]}"])
        return f"{local}@{r.choice(FREE_DOMAINS)}"

    # ---- numbers and times
    def employees_for(self, size: str | None = None) -> int:
        r = self.rng
        size = size or r.choices(["micro", "small", "mid", "big"], [25, 40, 22, 13])[0]
        lo, hi = {"micro": (2, 49), "small": (50, 199), "mid": (200, 999), "big": (1000, 60000),
                  "notbig": (5, 999)}[size]
        if size == "big":
            n = int(1000 * (60 ** r.random()))            # log-uniform 1,000 .. 60,000
        else:
            n = r.randint(lo, hi)
        if n > 100:
            n = round(n, -1) if n < 5000 else round(n, -2)  # enrichment rounds headcounts
        return max(lo, min(hi, n))

    def segment_for(self, employees: int | None) -> str | None:
        r = self.rng
        if r.random() < 0.45:
            return None
        if employees is None:
            return r.choices(SEGMENTS, [5, 3, 1])[0]
        seg = "smb" if employees < 200 else "mid_market" if employees < 1000 else "enterprise"
        if r.random() < 0.08:                            # vendors disagree at the edges
            seg = r.choice(SEGMENTS)
        return seg

    def tenths(self, lo: float, hi: float) -> float:
        return self.rng.randint(round(lo * 10), round(hi * 10)) / 10

    def fresh_time(self, country: str) -> datetime:
        r = self.rng
        if country in APAC or country in ("CN", "TW"):
            lo_h, hi_h = 0, 10
        elif country in EMEA:
            lo_h, hi_h = 7, 18
        else:
            lo_h, hi_h = 13, 23
        days = [FRESH_EARLIEST.date() + timedelta(days=i) for i in range(15)]
        weights = []
        for d in days:
            age = (ROUTING_CLOCK.date() - d).days
            w = 0.86 ** age
            if d.weekday() >= 5:
                w *= 0.3
            weights.append(w)
        while True:
            d = r.choices(days, weights)[0]
            if r.random() < 0.85:
                h = r.randint(lo_h, hi_h)
            else:
                h = r.randint(0, 23)
            t = datetime(d.year, d.month, d.day, h, r.randint(0, 59), r.randint(0, 59), tzinfo=timezone.utc)
            if FRESH_EARLIEST <= t <= FRESH_LATEST:
                return t

    def stale_time(self) -> datetime:
        r = self.rng
        span = int((STALE_LATEST - STALE_EARLIEST).total_seconds())
        return STALE_EARLIEST + timedelta(seconds=r.randint(0, span))

    # ---- assembling a lead
    def lead(self, *, where: str = "any", country: str | None = None, state: str | None = "auto",
             email: str | None = None, company: str | None = None, free_mail: bool = False,
             employees: int | None | str = "auto", segment: str | None = "auto", intent: float,
             source: str | None = None, campaign: str | None | str = "auto", account_owner: str | None = None,
             created_at: datetime | None = None, stale: bool = False, tags: list[str] | None = None) -> dict:
        r = self.rng
        if country is None:
            country, st = self.place(where)
            if state == "auto":
                state = st
        elif state == "auto":
            state = None
        first, last = self.person(country)
        cname = None
        if company is None or email is None:
            rec = self.company(country, reuse=(employees == "auto" and segment == "auto" and not free_mail))
            cname, dom = rec[0], rec[1]
            if company is None:
                company = cname
            if email is None:
                email = self.free_email(first, last) if free_mail else self.work_email(first, last, dom)
            if rec[2] != "unset":                   # a company seen before: same enrichment
                employees, segment = rec[2], rec[3]
        if free_mail and company == cname and r.random() < 0.35:
            company = r.choice(["n/a", "Self", "Freelance", "-", "Consultant", "none"])
        if employees == "auto":                     # enrichment rarely sizes a personal mailbox
            employees = None if r.random() < (0.75 if free_mail else 0.27) else self.employees_for()
        if segment == "auto":
            segment = self.segment_for(employees) if not (free_mail and r.random() < 0.6) else None
        if cname is not None and company == cname and not free_mail:
            rec[2], rec[3] = employees, segment
        if source is None:
            source = r.choices(["web", "paid", "event", "referral"], [45, 30, 12, 13])[0]
        if campaign == "auto":
            if source == "paid":
                campaign = r.choice(CAMPAIGNS)
            elif source == "event":
                campaign = r.choice(EVENT_CAMPAIGNS) if r.random() < 0.8 else None
            elif source == "web":
                campaign = r.choice(CAMPAIGNS) if r.random() < 0.25 else None
            else:
                campaign = None
        if created_at is None:
            created_at = self.stale_time() if stale else self.fresh_time(country)
        if tags is None:
            tags = self.tags(source)
        values = {"id": None, "email": email, "company": company, "country": country, "state": state,
                  "employees": employees, "segment": segment, "intent": float(intent), "source": source,
                  "campaign": campaign, "account_owner": account_owner, "created_at": fmt_time(created_at),
                  "tags": tags}
        return values

    def tags(self, source: str) -> list[str]:
        r = self.rng
        n = r.choices([0, 1, 2, 3], [45, 35, 15, 5])[0]
        tags = r.sample(TAGS_COMMON, n)
        if source == "event" and r.random() < 0.6:
            tags.append("event-booth")
        if source == "chat" and r.random() < 0.5:
            tags.append("chat-transcript")
        return tags


def finish(r: random.Random, lead: dict) -> dict:
    """Schema key order; unset optional fields either left out or written as null."""
    out = {}
    for k in FIELDS:
        v = lead.get(k)
        if v is None and k != "id":
            if r.random() < 0.55:
                continue
        out[k] = v
    for k, v in lead.items():          # extra (unknown) fields go last
        if k not in FIELDS:
            out[k] = v
    return out


# ---------------------------------------------------------------- categories
# Each builder returns (lead, intended inbound rule). The reference classifier must agree.

def hot_fields(g: Gen, how: str | None = None) -> dict:
    """intent / source / employees for a hot lead, by one of the three hot conditions."""
    r = g.rng
    how = how or r.choices(["intent", "chat", "big"], [58, 27, 15])[0]
    if how == "intent":
        return {"intent": g.tenths(80.0, 99.5)}
    if how == "chat":
        return {"intent": g.tenths(8.0, 79.9), "source": "chat", "campaign": None}
    return {"intent": g.tenths(50.0, 79.9), "employees": g.employees_for("big"),
            "source": r.choice(["web", "paid", "event", "referral"])}


def warm_fields(g: Gen, how: str | None = None) -> dict:
    r = g.rng
    how = how or r.choices(["intent", "abm"], [70, 30])[0]
    if how == "intent":
        intent = g.tenths(40.0, 79.9)
        emp = None if r.random() < 0.25 else g.employees_for("notbig" if intent >= 50 else None)
        return {"intent": intent, "employees": emp}
    return {"intent": g.tenths(3.0, 39.9), "campaign": r.choice(ABM_CAMPAIGNS),
            "source": r.choice(["paid", "paid", "web", "event"])}


def cold_fields(g: Gen, big: bool | None = False) -> dict:
    """Cold: intent < 40, not chat, no abm- campaign. big=False keeps it off big_logo."""
    r = g.rng
    d = {"intent": g.tenths(0.5, 39.9)}
    if big is False:
        emp = None if r.random() < 0.3 else g.employees_for("notbig")
        d["employees"] = emp
        if emp is None:
            d["segment"] = r.choice([None, None, "smb", "mid_market"])
        else:
            d["segment"] = r.choice([None, "smb" if emp < 200 else "mid_market"])
    return d


def build_categories(g: Gen) -> list[tuple[str, dict, str]]:
    """(category label, lead, intended inbound rule) for every valid lead of the batch."""
    r = g.rng
    out: list[tuple[str, dict, str]] = []

    def add(cat, lead, rule):
        out.append((cat, lead, rule))

    # -- junk: spam tag (whatever else the lead says) and our own QA domains
    for i in range(10):
        kw = hot_fields(g) if i % 2 == 0 else cold_fields(g)
        if i == 3:
            kw["source"] = "partner"          # junk comes before partner_sourced
        lead = g.lead(where="any", **kw)
        if i < 6:
            first = r.choice(["asdf", "test", "qwerty", "aaa", "john", "seo"])
            lead["email"] = f"{first}{r.randint(1, 999)}@{r.choice(['mailinator.com', 'asdf.com', 'test.com', 'guerrillamail.com'])}"
            lead["company"] = r.choice(["asdf", "Test", "sdfsdf", "Best SEO Services", "xxx"])
        lead["tags"] = ["spam"] + r.sample(["honeypot", "captcha-fail", "demo-request"], r.randint(0, 1))
        if i == 5:
            lead["tags"].append("vip")
        if i == 7:
            lead["created_at"] = fmt_time(g.stale_time())
        add("junk: spam tag", lead, "junk")
    for i in range(8):
        kw = hot_fields(g, "intent") if i < 5 else cold_fields(g)
        lead = g.lead(where=r.choice(["us_east", "us_west", "emea"]), **kw)
        dom = INTERNAL_DOMAINS[i % 2]
        lead["email"] = r.choice([f"qa+form{r.randint(1, 40)}@{dom}", f"smoke-test-{r.randint(100, 999)}@{dom}",
                                  f"revops.test@{dom}", f"loadtest@{dom}"])
        lead["company"] = r.choice(["Acme", "Acme QA", "Acme (test)"])
        lead["tags"] = r.choice([["smoke-test"], ["qa"], [], ["smoke-test", "demo-request"]])
        add("junk: internal domain", lead, "junk")

    # -- partner-sourced leads, routed by `route partners`
    def partner_lead(kw, tags, stale=False, owner=None):
        kw = dict(kw)
        kw["source"] = "partner"
        kw.setdefault("campaign", r.choice([None, "partner-referral-q4", "partner-mdf-nov", "reseller-portal"]))
        return g.lead(where="any", tags=tags, stale=stale, account_owner=owner, **kw)
    for i in range(12):
        kw = [hot_fields(g, "intent"), warm_fields(g, "intent"), cold_fields(g)][i % 3]
        lead = partner_lead(kw, ["deal-registration"] + (["reseller"] if i % 4 == 0 else []),
                            stale=(i == 5), owner=("tariq" if i == 7 else None))
        add("partner: deal registration", lead, "partner_sourced")
    for i in range(14):
        kw = hot_fields(g, "intent") if i % 2 == 0 else warm_fields(g, "intent")
        lead = partner_lead(kw, r.choice([[], ["reseller"], ["co-sell"]]) + (["vip"] if i == 3 else []),
                            stale=(i == 9))
        add("partner: hot/warm", lead, "partner_sourced")
    for i in range(10):
        lead = partner_lead(cold_fields(g), r.choice([[], ["reseller"]]), owner=("paula" if i == 2 else None))
        add("partner: cold", lead, "partner_sourced")

    # -- stale: backfills and late list uploads (older than 14 days at the routing clock)
    for i in range(24):
        kw = [hot_fields(g), warm_fields(g), cold_fields(g)][i % 3]
        lead = g.lead(where="any", stale=True, tags=r.choice([["webinar"], ["list-upload"], ["backfill"],
                                                               ["event-booth"], []]), **kw)
        if i == 4:
            lead["tags"].append("vip")                 # stale comes before vip
        if i in (6, 13):
            lead["account_owner"] = r.choice(["dan", "grace"])
        if i == 10:
            lead["email"] = g.free_email("Pat", "Lee")
        add("stale", lead, "stale")

    # -- vip introductions
    for i in range(8):
        kw = [hot_fields(g, "intent"), warm_fields(g, "intent"), cold_fields(g)][i % 3]
        lead = g.lead(where=r.choice(["us", "us", "emea"]), source=r.choice(["referral", "referral", "event", "web"]),
                      tags=["vip"] + r.choice([["board-intro"], ["exec-referral"], []]), **kw)
        if i == 2:
            lead["account_owner"] = "bob"              # vip comes before known_account
        add("vip", lead, "vip")

    # -- known accounts: owner in account_owners, inactive frank, a non-AE rep, not a rep at all
    owner_home = {"alice": "us_west", "bob": "us_west", "carol": "us_west", "dan": "us_east", "erin": "us_east",
                  "frank": "us_east", "grace": "emea", "hugo": "emea", "ines": "emea", "kenji": "apac",
                  "priya": "apac", "victor": "us", "sam": "us", "sue": "us", "sid": "us", "paula": "us",
                  "tariq": "emea", "zed": "any", "mike": "us"}
    accounts: dict[str, list[tuple]] = {}

    def account_of(owner):
        pool = accounts.setdefault(owner, [])
        if len(pool) < 3 or r.random() < 0.3:
            country, state = g.place(owner_home[owner])
            if owner == "hugo":
                country = r.choice(["DE", "AT", "CH"])
            if owner == "ines":
                country = r.choice(["ES", "PT"])
            if owner == "kenji":
                country = "JP"
            if owner == "priya":
                country = r.choice(["SG", "AU", "IN"])
            name, dom = g.new_company(country)
            emp = g.employees_for(r.choice(["mid", "big", "small"]))
            pool.append((country, state, name, dom, emp))
        return r.choice(pool)

    owners = (["alice", "bob", "carol", "dan", "dan", "erin", "grace", "grace", "hugo", "ines", "kenji", "priya",
               "victor", "alice", "carol", "erin", "dan", "grace", "hugo", "bob", "kenji", "priya", "ines", "dan",
               "erin", "victor", "alice", "grace"]
              + ["frank"] * 5 + ["sam", "sam", "paula", "paula", "tariq"] + ["zed", "zed", "zed", "mike"])
    for i, owner in enumerate(owners):
        country, state, name, dom, emp = account_of(owner)
        kw = [hot_fields(g, "intent"), warm_fields(g, "intent"), cold_fields(g), hot_fields(g, "chat")][i % 4]
        kw.pop("employees", None)
        first, last = g.person(country)
        lead = g.lead(country=country, state=state, company=name, email=g.work_email(first, last, dom),
                      employees=(emp if r.random() < 0.8 else None), account_owner=owner,
                      source=kw.pop("source", r.choice(["web", "referral", "web", "paid"])), **kw)
        add("known_account", lead, "known_account")

    # -- hot leads in each US territory, in EMEA and APAC (hot and warm), unplaced hot leads
    for i in range(44):
        lead = g.lead(where="us_west", free_mail=(i in (5, 30)), **hot_fields(g))
        add("hot_west", lead, "hot_west")
    for i in range(48):
        lead = g.lead(where="us_east", free_mail=(i == 11), **hot_fields(g))
        add("hot_east", lead, "hot_east")
    for i in range(46):
        kw = hot_fields(g) if i % 2 == 0 else warm_fields(g)
        lead = g.lead(where="emea", free_mail=(i in (7, 20)), **kw)   # territory comes before personal
        add("emea (hot/warm)", lead, "emea")
    for i in range(28):
        kw = hot_fields(g) if i % 2 == 0 else warm_fields(g)
        if i == 3:
            kw = warm_fields(g, "abm")
            kw["campaign"] = "abm-q4-japan"
            lead = g.lead(country="JP", **kw)
        else:
            lead = g.lead(where="apac", **kw)
        add("apac (hot/warm)", lead, "apac")
    for i in range(26):
        where = "us_nostate" if i < 9 else "uncovered"
        kw = hot_fields(g)
        if i == 24:
            lead = g.lead(country="US", state="PR", **kw)       # Puerto Rico: in neither US set
        elif i == 25:
            lead = g.lead(country="US", state="ny", **kw)       # not upper-cased by the form
        elif i == 23:
            lead = g.lead(country="CO", **kw)                   # Colombia, not Colorado
        else:
            lead = g.lead(where=where, free_mail=(i == 4), **kw)
        add("unplaced (hot, no territory)", lead, "unplaced")

    # -- cold leads in EMEA / APAC fall through their territory rule
    for i in range(14):
        if i < 3:
            lead = g.lead(where="emea", free_mail=True, **cold_fields(g))
            add("emea cold -> personal", lead, "personal")
        elif i < 5:
            lead = g.lead(where="emea", employees=g.employees_for("big"), **cold_fields(g, big=None))
            add("emea cold -> big_logo", lead, "big_logo")
        else:
            add("emea cold -> otherwise", g.lead(where="emea", **cold_fields(g)), "otherwise")
    for i in range(8):
        if i == 0:
            lead = g.lead(where="apac", free_mail=True, **cold_fields(g))
            add("apac cold -> personal", lead, "personal")
        elif i == 1:
            lead = g.lead(where="apac", segment="enterprise", **cold_fields(g, big=None))
            add("apac cold -> big_logo", lead, "big_logo")
        else:
            add("apac cold -> otherwise", g.lead(where="apac", **cold_fields(g)), "otherwise")

    # -- personal mailboxes, warm or cold, in the US or nowhere
    for i in range(40):
        kw = warm_fields(g, "intent") if i % 2 == 0 else cold_fields(g, big=None if i % 5 == 1 else False)
        lead = g.lead(where=r.choice(["us", "us", "us", "none"]), free_mail=True, **kw)
        add("personal (free mail, not hot)", lead, "personal")

    # -- warm leads for the SDR pool
    for i in range(80):
        kw = warm_fields(g)
        lead = g.lead(where=r.choice(["us_west", "us_east", "us_east", "us_west", "none"]), **kw)
        add("warm", lead, "warm")

    # -- big logos with weak intent
    for i in range(30):
        kw = cold_fields(g, big=None)
        if i % 3 == 0:
            lead = g.lead(where=r.choice(["us", "none"]), segment="enterprise",
                          employees=(None if i % 2 == 0 else g.employees_for("mid")), **kw)
        else:
            lead = g.lead(where=r.choice(["us", "us", "none"]), employees=g.employees_for("big"), **kw)
        add("big_logo", lead, "big_logo")

    # -- everything else: small, cold, not personal: nurture
    for i in range(84):
        add("otherwise", g.lead(where=r.choice(["us", "us", "us", "none"]), **cold_fields(g)), "otherwise")

    # -- edge values on the thresholds, applied to leads already built above
    def edge(label, pred, **fields):
        for cat, lead, rule in out:
            if cat == label and pred(lead) and not lead.get("_edge"):
                lead.update(fields)
                lead["_edge"] = True
                return
        raise AssertionError(f"no lead to carry edge {fields}")
    intent_only = lambda l: l["source"] != "chat" and (l.get("employees") or 0) < 1000
    edge("hot_west", intent_only, intent=80.0)                                  # exactly the hot threshold
    edge("hot_east", lambda l: l["source"] != "chat", employees=1000, intent=50.0)   # both big-company bounds
    edge("warm", lambda l: intent_only(l) and not (l.get("campaign") or "").startswith("abm-"), intent=79.9)
    edge("warm", lambda l: intent_only(l) and not (l.get("campaign") or "").startswith("abm-"), intent=40.0)
    edge("warm", intent_only, employees=999, intent=65.0, segment="mid_market")     # one short of big
    edge("otherwise", lambda l: True, intent=39.9)
    edge("otherwise", lambda l: True, campaign="ABM-Q4-Fintech", source="paid")   # starts_with is case-sensitive
    edge("otherwise", lambda l: True, campaign="q4-abm-retarget", source="paid")  # contains abm-, does not start with it
    edge("otherwise", lambda l: True, employees=999, segment="mid_market")
    edge("warm", intent_only, employees=1000, intent=49.9, segment="enterprise")                     # big, but intent under 50
    edge("big_logo", lambda l: l.get("segment") != "enterprise", employees=1000, intent=30.0)
    for _, lead, _ in out:
        lead.pop("_edge", None)
    return out


# ---------------------------------------------------------------- invalid and odd leads
INVALID_KINDS = [
    ("missing required field: email", lambda l: l.pop("email")),
    ("missing required field: company", lambda l: l.pop("company")),
    ("missing required field: tags", lambda l: l.pop("tags")),
    ("missing required field: source", lambda l: l.pop("source")),
    ("wrong type: intent \"high\"", lambda l: l.__setitem__("intent", "high")),
    ("wrong type: employees \"50\"", lambda l: l.__setitem__("employees", "50")),
    ("wrong type: created_at epoch seconds", lambda l: l.__setitem__("created_at", int(parse_time(l["created_at"]).timestamp()))),
    ("unknown enum variant: source \"tiktok\"", lambda l: l.__setitem__("source", "tiktok")),
    ("unknown enum variant: source \"linkedin\"", lambda l: l.__setitem__("source", "linkedin")),
    ("unknown enum variant: segment \"startup\"", lambda l: l.__setitem__("segment", "startup")),
    ("malformed time: \"yesterday\"", lambda l: l.__setitem__("created_at", "yesterday")),
    ("malformed time: November 31st", lambda l: l.__setitem__("created_at", "2026-11-31T10:15:00Z")),
    ("malformed time: US date format", lambda l: l.__setitem__("created_at", "11/23/2026 4:12 PM")),
    ("list given as a string: tags \"webinar\"", lambda l: l.__setitem__("tags", "webinar")),
    ("list given as a string: tags \"a, b\"", lambda l: l.__setitem__("tags", "pricing-page, demo-request")),
    ("null in required field: email", lambda l: l.__setitem__("email", None)),
    ("null in required field: intent", lambda l: l.__setitem__("intent", None)),
    ("null in required field: created_at", lambda l: l.__setitem__("created_at", None)),
]
EXTRA_FIELDS = [("utm_medium", "cpc"), ("utm_source", "google"), ("phone", "+1 415 555 0142"),
                ("gclid", "Cj0KCQiA4rK8BhD7ARIsAFe5LXK"), ("job_title", "VP Revenue Operations"),
                ("lead_score_v2", 71)]
PHONES = {"US": "+1 415 555 0142", "GB": "+44 20 7946 0321", "DE": "+49 30 2009 4417", "FR": "+33 1 70 36 12 48"}


def main() -> int:
    rng = random.Random(SEED)
    g = Gen(rng)
    valid = build_categories(g)
    n_invalid, n_extra = len(INVALID_KINDS), len(EXTRA_FIELDS)
    assert len(valid) == TOTAL - n_invalid - n_extra, len(valid)

    # Check every lead against the reference classifier before writing anything.
    for cat, lead, rule in valid:
        got = inbound_rule(lead)
        if got != rule:
            print(f"generator bug: {cat} lead lands on `{got}`, meant `{rule}`: {lead}", file=sys.stderr)
            return 1

    # Extra-field leads: ordinary leads of common kinds plus one key the schema lacks.
    extra = []
    for key, value in EXTRA_FIELDS:
        builder = rng.choice([
            lambda: (g.lead(where="us_east", **warm_fields(g, "intent")), "warm"),
            lambda: (g.lead(where="us", **cold_fields(g)), "otherwise"),
            lambda: (g.lead(where="emea", **hot_fields(g, "intent")), "emea"),
            lambda: (g.lead(where="us_west", **hot_fields(g, "intent")), "hot_west"),
        ])
        lead, rule = builder()
        assert inbound_rule(lead) == rule
        if key == "phone":
            value = PHONES.get(lead["country"], "+49 30 2009 4417")
        lead[key] = value
        extra.append(("unknown extra field " + key, lead, rule))

    # Invalid leads: an otherwise ordinary lead with exactly one problem.
    invalid = []
    for label, corrupt in INVALID_KINDS:
        kw = rng.choice([warm_fields(g, "intent"), cold_fields(g), hot_fields(g, "intent")])
        lead = g.lead(where="any", **kw)
        if label.endswith("\"50\""):
            lead["employees"] = 50
        if "segment" in label:
            lead["segment"] = "smb"
        lead = finish(rng, lead)
        corrupt(lead)
        invalid.append((label, lead, None))

    rows = [(c, finish(rng, l), rule) for c, l, rule in valid] + [(c, finish(rng, l), r) for c, l, r in extra] + invalid
    rng.shuffle(rows)
    lines = []
    for i, (_, lead, _) in enumerate(rows, 1):
        lead["id"] = f"L-{i:06d}"
        lines.append(json.dumps(lead, ensure_ascii=False))
    assert len(lines) == TOTAL
    (EXAMPLES / "leads.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (EXAMPLES / "state.json").write_text(state_json(), encoding="utf-8")

    summary(rows)
    return 0


# ---------------------------------------------------------------- rep state
def state_json() -> str:
    reps = [  # open_load below `capacity N open`, assigned_today below `capacity N per day`
        ("alice", True, None, 18, 0),            # 07:00 in Los Angeles at the routing clock: not started yet
        ("bob", True, None, 14, 0),
        ("carol", True, None, 21, 0),
        ("dan", True, None, 24, 4),
        ("erin", True, "2026-11-27T17:00:00Z", 11, 0),   # Thanksgiving week off
        ("frank", False, None, 0, 0),            # inactive, as in the policy
        ("grace", True, None, 19, 5),
        ("hugo", True, None, 9, 4),
        ("ines", True, None, 13, 3),
        ("kenji", True, None, 7, 5),
        ("sam", True, None, 41, 12),
        ("sue", True, None, 37, 9),
        ("sid", True, None, 29, 0),
        ("paula", True, None, 16, 2),
        ("victor", True, None, 5, 3),            # per-day cap 4: one VIP introduction left today
    ]   # priya and tariq are left out: they take the defaults
    lines = ["{", '  "as_of": "2026-11-24",', '  "reps": {']
    for i, (name, active, ooo, load, today) in enumerate(reps):
        body = json.dumps({"active": active, "out_of_office_until": ooo, "open_load": load,
                           "assigned_today": today})
        pad = " " * (7 - len(name))
        lines.append(f'    "{name}":{pad}{body.replace("{", "{ ", 1)[:-1]} }}' + ("," if i < len(reps) - 1 else ""))
    lines += ["  },", '  "teams": {',
              '    "sdr_pool":     { "cursor": 1 },',
              '    "ae_apac":      { "cursor": 0 },',
              '    "partner_desk": { "cursor": 1 },',
              '    "ae_east":      { "weights": { "dan": 0, "erin": 0, "frank": 0 } },',
              '    "ae_emea":      { "weights": { "grace": 0, "hugo": 0, "ines": 0 } }',
              "  }", "}"]
    text = "\n".join(lines) + "\n"
    json.loads(text)
    return text


# ---------------------------------------------------------------- summary
def summary(rows) -> None:
    valid = [(c, l) for c, l, rule in rows if rule is not None and not any(k not in FIELDS for k in l)]
    extra = [(c, l) for c, l, rule in rows if rule is not None and any(k not in FIELDS for k in l)]
    invalid = [(c, l) for c, l, rule in rows if rule is None]
    p = print
    p(f"wrote examples/leads.ndjson: {len(rows)} leads = {len(valid)} valid + {len(extra)} valid with an "
      f"unknown extra field + {len(invalid)} invalid")
    p("wrote examples/state.json")
    p(f"routing clock {fmt_time(ROUTING_CLOCK)}; classification by rule conditions only (rep availability "
      "decides assign vs else)")

    p("\nroute inbound, first rule whose condition holds (valid leads, extra-field ones excluded):")
    by_rule = Counter(inbound_rule(l) for _, l in valid)
    for rule in INBOUND_RULES:
        p(f"  {rule:<16}{by_rule[rule]:>5}")
    p(f"  {'total':<16}{sum(by_rule.values()):>5}")

    def sub(title, items):
        p(f"\n{title}:")
        for k, n in sorted(Counter(items).items(), key=lambda kv: (-kv[1], kv[0])):
            p(f"  {k:<52}{n:>5}")

    sub("junk, by reason", ["spam tag" if "spam" in l["tags"] else "internal domain "
                            + domain(l["email"]) for _, l in valid if inbound_rule(l) == "junk"])
    sub("route partners, by rule", [partners_rule(l) for _, l in valid if inbound_rule(l) == "partner_sourced"])
    sub("known_account, by owner", [f"{l['account_owner']}: {owner_kind(l['account_owner'])}"
                                    for _, l in valid if inbound_rule(l) == "known_account"])
    sub("frank's leads, next rule they meet after known_account",
        [inbound_rule(l, INBOUND_RULES.index("known_account") + 1) for _, l in valid
         if inbound_rule(l) == "known_account" and l["account_owner"] in INACTIVE])
    sub("tier, by condition that makes it (valid leads)", [" via ".join(tier_of(l)) for _, l in valid])
    terr = []
    for _, l in valid:
        t = territory_of(l)
        if t == "none":
            if l["country"] != "US":
                t = "none: country outside every territory"
            elif l.get("state") is None:
                t = "none: US without state"
            else:
                t = f"none: US with state {l['state']!r}"
        terr.append(t)
    sub("territory (valid leads)", terr)
    sub("tier x territory at the territory rules (hot_west/hot_east/emea/apac/unplaced)",
        [f"{inbound_rule(l)}: {tier_of(l)[0]} via {tier_of(l)[1]}" for _, l in valid
         if inbound_rule(l) in ("hot_west", "hot_east", "emea", "apac", "unplaced")])
    sub("warm rule, by condition", [tier_of(l)[1] for _, l in valid if inbound_rule(l) == "warm"])
    sub("big_logo, by condition", [("employees>=1000" if (l.get("employees") or 0) >= 1000 else "segment enterprise")
                                   + (" (employees missing)" if l.get("employees") is None else "")
                                   for _, l in valid if inbound_rule(l) == "big_logo"])
    free = [l for _, l in valid if domain(l["email"]) in FREE_DOMAINS]
    sub("personal free-mail domains, by the rule they meet", [inbound_rule(l) for l in free])

    p("\nother features (valid leads):")
    miss_emp = [l for _, l in valid if l.get("employees") is None]
    p(f"  employees missing (on missing -> assume 0)        {len(miss_emp):>5}"
      f"  (absent {sum('employees' not in l for l in miss_emp)}, null {sum('employees' in l for l in miss_emp)})")
    p(f"    ... of which met big_logo via segment enterprise {sum(inbound_rule(l) == 'big_logo' for l in miss_emp):>5}")
    opt_absent = sum(1 for _, l in valid for k in ("state", "employees", "segment", "campaign", "account_owner")
                     if k not in l)
    opt_null = sum(1 for _, l in valid for k in ("state", "employees", "segment", "campaign", "account_owner")
                   if k in l and l[k] is None)
    p(f"  unset optional fields: absent {opt_absent}, null {opt_null}")
    stale_all = [l for _, l in valid if ROUTING_CLOCK - parse_time(l["created_at"]) > STALE_AFTER]
    p(f"  older than 14 days: {len(stale_all)} (stale rule {by_rule['stale']}, the rest caught earlier by junk/partner)")
    days = Counter(l["created_at"][:10] for _, l in valid + extra)
    p("  created_at by day: " + ", ".join(f"{d[5:]}:{n}" for d, n in sorted(days.items())))
    p(f"  sources: " + ", ".join(f"{k} {n}" for k, n in sorted(Counter(l['source'] for _, l in valid).items())))

    sub("unknown extra field (valid otherwise; path if the field is ignored)",
        [f"{c[len('unknown extra field '):]} -> {inbound_rule(l)}" for c, l in extra])
    sub("invalid leads (exactly one problem each)", [c for c, _ in invalid])


if __name__ == "__main__":
    sys.exit(main())
