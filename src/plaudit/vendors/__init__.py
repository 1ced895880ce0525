"""Badge vendors' APIs that LMSs already speak (Open edX): the Credly and Accredible subsets."""
