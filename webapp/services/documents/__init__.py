"""The round's and dossier's papers: generated from their data as DOCX (and PDF when
LibreOffice is installed), stored with where they came from."""
