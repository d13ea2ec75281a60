"""`beadle review` on this side of GitHub: a local checkout read with git (`LocalRepo`), the
issue from `bd` or a file, the reviews remembered under `.git/beadle/`, and what is printed.

    range.py   which commits (git), and the range as a pull request (pure)
    repo.py    LocalRepo: the RepoClient port's reads over git
    issue.py   the issue: --issue-json, `bd show` (bd.py), the repository's data (beads_data.py)
    session.py one round: plan, gather, prompt, model, compose (no writes)
    pull.py    OWNER/REPO#N: a token or the App, and a repository that records what it posts
    flows.py   the three ways the command runs
    state.py   .git/beadle/reviews.json
    output.py  the review as markdown or JSON (pure); output_dry.py: a dry run (pure)
"""
