"""Pages for companies (projects, the step-by-step editor, preview, people) and experts (job
board, job detail, invitations)."""
