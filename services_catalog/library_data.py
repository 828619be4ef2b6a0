"""The Portrait services library that `seed_demo` loads: groups, services, and the consents, standing
orders and care messages they use. Written for this product; illustrative, not medical advice."""

CONSENTS: dict[str, dict] = {
    "neurotoxin": {
        "title": "Consent for neurotoxin injections",
        "text": (
            "I am requesting treatment with botulinum toxin type A (e.g. Botox, Dysport, Xeomin or "
            "Jeuveau), a purified protein that temporarily relaxes the muscles it is injected into. It is "
            "used to soften expression lines such as frown lines, forehead lines and crow's feet, and for "
            "other uses my provider has discussed with me, such as masseter slimming or excessive underarm "
            "sweating. Some of these uses are off-label, which my provider has explained.\n\n"
            "Results usually begin in 3 to 5 days, peak at about 2 weeks and last about 3 to 4 months. "
            "Results vary and are not guaranteed, and repeat treatments are needed to maintain them.\n\n"
            "Possible risks and side effects include:\n"
            "- pain, redness, swelling or bruising at injection sites\n"
            "- headache or flu-like symptoms\n"
            "- temporary drooping of the eyelid or brow, or an uneven appearance\n"
            "- dry eye, or a change in smile or speech when the lower face is treated\n"
            "- allergic reaction\n"
            "- rarely, spread of effect causing weakness or trouble swallowing or breathing, which needs "
            "immediate care\n\n"
            "Alternatives include no treatment, dermal fillers, skin care, chemical peels and laser "
            "treatments.\n\n"
            "I confirm that I am not pregnant or breastfeeding and that I have disclosed my medical "
            "history, medications and any neuromuscular disorder. I have had the chance to ask questions "
            "and have had them answered. I understand that touch-ups may carry an additional fee.\n\n"
            "I consent to before-and-after photographs for my medical record; they will not be used for "
            "marketing without my separate written permission."
        ),
    },
    "dermal-filler": {
        "title": "Consent for dermal filler injections",
        "text": (
            "I am requesting treatment with a hyaluronic acid dermal filler (e.g. Juvederm, Restylane or "
            "RHA), a gel injected under the skin to restore volume, smooth folds and shape areas such as "
            "the lips, cheeks, chin and jawline. The filler is gradually broken down by the body over "
            "time.\n\n"
            "Results are visible right away, although swelling can hide the final result for up to 2 "
            "weeks. Depending on the product and area, results typically last 6 to 18 months. Results vary "
            "and are not guaranteed, and more than one session may be needed.\n\n"
            "Possible risks and side effects include:\n"
            "- swelling, bruising, tenderness, redness and itching\n"
            "- lumps, unevenness or a bluish tint where skin is thin\n"
            "- a cold sore outbreak in people prone to them\n"
            "- infection or delayed inflammatory nodules\n"
            "- product moving from where it was placed\n"
            "- rarely, filler blocking a blood vessel, which can cause skin damage or scarring and, very "
            "rarely, vision loss or stroke\n\n"
            "Alternatives include no treatment, neurotoxin, skin care, energy-based treatments and "
            "surgery.\n\n"
            "I have disclosed my medical history, medications, allergies and any prior filler or permanent "
            "implants. I am not pregnant or breastfeeding. I agree to contact the practice immediately if "
            "I notice increasing pain, skin color changes or vision changes after treatment. I understand "
            "that filler can usually be dissolved with hyaluronidase if needed.\n\n"
            "I consent to before-and-after photographs for my medical record; they will not be used for "
            "marketing without my separate written permission."
        ),
    },
    "hyaluronidase": {
        "title": "Consent for hyaluronidase (filler dissolving)",
        "text": (
            "I am requesting injection of hyaluronidase, an enzyme that breaks down hyaluronic acid "
            "filler. It is used to correct filler that is lumpy, misplaced, overcorrected or has migrated, "
            "and urgently when filler may be blocking a blood vessel. Using it to dissolve cosmetic filler "
            "is off-label, which my provider has explained.\n\n"
            "Most filler begins to dissolve within 24 to 48 hours. More than one session may be needed. "
            "The enzyme can also break down some of my natural hyaluronic acid, so the area may briefly "
            "look flatter than before my filler. New filler is usually placed no sooner than 2 weeks "
            "later.\n\n"
            "Possible risks and side effects include:\n"
            "- swelling, redness, itching, bruising and tenderness\n"
            "- incomplete dissolving, requiring further treatment\n"
            "- allergic reaction, including hives or, rarely, a severe reaction (anaphylaxis)\n"
            "- temporary thinning or hollowing of the treated area\n\n"
            "A skin test may be performed before treatment. The alternative is waiting for the filler to "
            "break down on its own, which can take many months.\n\n"
            "I have disclosed any allergies, including to bee or wasp stings, and my full medical history "
            "and medications. I am not pregnant or breastfeeding. I understand that results are not "
            "guaranteed and that I will stay at the practice for observation after treatment as "
            "directed.\n\n"
            "I consent to before-and-after photographs for my medical record; they will not be used for "
            "marketing without my separate written permission."
        ),
    },
    "chemical-peel": {
        "title": "Consent for chemical peels",
        "text": (
            "I am requesting a chemical peel, in which an acid solution (such as glycolic, lactic, "
            "salicylic or trichloroacetic acid) is applied to the skin to remove damaged outer layers. "
            "Peels are used to improve uneven tone, dullness, fine lines, acne and sun damage. My provider "
            "has explained the peel depth recommended for me.\n\n"
            "After a superficial peel, mild flaking usually lasts 2 to 4 days. After a medium-depth peel, "
            "the skin darkens and peels over 5 to 10 days. A series of treatments is often needed. Results "
            "vary and are not guaranteed.\n\n"
            "Possible risks and side effects include:\n"
            "- stinging, burning, redness, tightness and peeling\n"
            "- darkening or lightening of the skin, more likely in deeper skin tones and sometimes "
            "long-lasting\n"
            "- a cold sore outbreak\n"
            "- infection\n"
            "- prolonged redness and, rarely, scarring\n"
            "- an acne flare or sensitivity to skin care products\n\n"
            "Alternatives include no treatment, medical-grade skin care, microneedling, and laser or light "
            "treatments.\n\n"
            "I confirm that I have not used isotretinoin in the past 6 months, that I have stopped "
            "retinoids and exfoliants as instructed, and that I have disclosed my medical history, "
            "medications and any history of cold sores or poor healing. I am not pregnant or "
            "breastfeeding. I agree to follow my aftercare instructions, including strict sun "
            "protection.\n\n"
            "I consent to before-and-after photographs for my medical record; they will not be used for "
            "marketing without my separate written permission."
        ),
    },
    "microneedling": {
        "title": "Consent for microneedling",
        "text": (
            "I am requesting microneedling (collagen induction therapy), in which a device with fine "
            "sterile needles makes controlled micro-injuries in the skin to stimulate collagen. It is used "
            "to improve texture, fine lines, enlarged pores and acne scars. A numbing cream is usually "
            "applied first.\n\n"
            "The skin is usually red, like a sunburn, for 1 to 3 days, with mild dryness or flaking after "
            "that. Improvement builds over several months, and a series of 3 to 6 treatments about 4 to 6 "
            "weeks apart is commonly recommended. Results vary and are not guaranteed.\n\n"
            "Possible risks and side effects include:\n"
            "- redness, swelling, tenderness and pinpoint bleeding\n"
            "- dryness, flaking or small bumps\n"
            "- bruising\n"
            "- infection or a cold sore outbreak\n"
            "- darkening or lightening of the skin\n"
            "- a reaction to the numbing cream or serums\n"
            "- rarely, scarring or track marks\n\n"
            "Alternatives include no treatment, chemical peels, laser resurfacing and topical skin "
            "care.\n\n"
            "I confirm that I do not have active acne, infection or open wounds in the area, that I have "
            "not used isotretinoin in the past 6 months, and that I have disclosed my medical history and "
            "medications, including blood thinners. I am not pregnant. I agree to follow my aftercare "
            "instructions and to avoid sun exposure while my skin heals.\n\n"
            "I consent to before-and-after photographs for my medical record; they will not be used for "
            "marketing without my separate written permission."
        ),
    },
    "facial": {
        "title": "Consent for facial treatments",
        "text": (
            "I am requesting a professional facial treatment, which may include cleansing, exfoliation "
            "(such as hydradermabrasion or dermaplaning), extractions, serums, masks and light massage. "
            "These treatments are cosmetic and are meant to leave the skin cleaner, smoother and more "
            "hydrated. They are not a medical treatment for any skin condition.\n\n"
            "Results are usually visible right away and are temporary. Regular treatments, typically every "
            "4 weeks, help maintain them. Results vary and are not guaranteed.\n\n"
            "Possible risks and side effects include:\n"
            "- temporary redness, warmth or mild stinging\n"
            "- dryness, tightness or light flaking\n"
            "- a breakout after extractions\n"
            "- small nicks or irritation with dermaplaning\n"
            "- sensitivity or an allergic reaction to products used\n"
            "- rarely, infection or changes in skin color\n\n"
            "Alternatives include no treatment and an at-home skin care routine. For specific concerns, a "
            "medical treatment such as a peel or microneedling may be suggested.\n\n"
            "I have told my aesthetician about my allergies, medications and skin care products, including "
            "retinoids, exfoliating acids and any isotretinoin use in the past 6 months, and about any "
            "recent injectables, waxing, peels or laser treatment. I understand that the treatment may be "
            "changed or stopped if my skin is not suitable that day, and I agree to report any unexpected "
            "reaction.\n\n"
            "I consent to before-and-after photographs for my medical record; they will not be used for "
            "marketing without my separate written permission."
        ),
    },
    "iv-therapy": {
        "title": "Consent for IV and vitamin injection therapy",
        "text": (
            "I am requesting IV fluid or vitamin therapy, or an intramuscular vitamin injection, as "
            "recommended after my health screening. IV therapy delivers fluids, electrolytes and vitamins "
            "directly into a vein through a small catheter. These treatments support hydration and general "
            "wellness. They do not diagnose, treat or cure any disease and do not replace care from my "
            "primary care provider.\n\n"
            "Some people feel more energized or better hydrated after treatment; others notice little "
            "change. Any benefit is usually temporary, and results are not guaranteed.\n\n"
            "Possible risks and side effects include:\n"
            "- pain, bruising or bleeding at the needle site\n"
            "- a cool sensation, metallic taste or warm flush during the infusion\n"
            "- lightheadedness or fainting\n"
            "- fluid leaking under the skin, causing swelling\n"
            "- inflammation of the vein (phlebitis) or infection\n"
            "- allergic reaction, which can rarely be severe\n"
            "- fluid overload in people with heart or kidney disease\n\n"
            "Alternatives include drinking fluids, eating a balanced diet and taking oral supplements.\n\n"
            "I have disclosed my full medical history, including heart, kidney or liver disease, high "
            "blood pressure, G6PD deficiency and pregnancy, and all my medications and supplements. I "
            "agree to tell staff right away if I feel unwell, and I understand the infusion may be slowed "
            "or stopped at any time for my safety.\n\n"
            "I consent to photographs of the IV site for my medical record if needed; they will not be "
            "used for marketing without my separate written permission."
        ),
    },
    "laser-hair-removal": {
        "title": "Consent for laser hair removal",
        "text": (
            "I am requesting laser hair removal, in which laser light is absorbed by the pigment in the "
            "hair follicle, heating it and reducing its ability to grow hair. Treatment works best on dark "
            "hair and is less effective on blond, red, gray or white hair.\n\n"
            "Most people need 6 to 8 sessions spaced 4 to 8 weeks apart, because only actively growing "
            "hair responds. Treatment gives a long-term reduction in hair, not guaranteed permanent "
            "removal, and maintenance sessions may be needed. Hormonal conditions can affect results.\n\n"
            "Possible risks and side effects include:\n"
            "- discomfort during treatment, often described as a rubber band snap\n"
            "- redness, swelling and bumps around follicles for a few hours to days\n"
            "- blisters, crusting or burns\n"
            "- darkening or lightening of the skin, which may be long-lasting\n"
            "- increased hair growth near treated areas, which is uncommon\n"
            "- eye injury if protective eyewear is not worn\n"
            "- rarely, scarring\n\n"
            "Alternatives include shaving, waxing, depilatory creams and electrolysis.\n\n"
            "I confirm that I have not tanned, used self-tanner, or waxed or plucked the area in the past "
            "4 weeks, and that I have disclosed my medical history and all medications, including "
            "light-sensitizing drugs and isotretinoin. I am not pregnant. I agree to wear the eyewear "
            "provided and to follow my aftercare instructions, including sun protection.\n\n"
            "I consent to before-and-after photographs for my medical record; they will not be used for "
            "marketing without my separate written permission."
        ),
    },
    "ipl": {
        "title": "Consent for IPL photofacial",
        "text": (
            "I am requesting intense pulsed light (IPL) treatment, also called a photofacial. IPL uses "
            "broad-spectrum light to target brown pigment, such as sun spots and freckles, and red "
            "pigment, such as broken capillaries and diffuse redness, on the face, neck, chest or "
            "hands.\n\n"
            "After treatment, brown spots usually darken and flake off over 7 to 14 days, and redness "
            "improves gradually. A series of 3 to 5 sessions about 4 weeks apart is typical, with "
            "maintenance once or twice a year. IPL does not reliably treat melasma and may worsen it. "
            "Results vary and are not guaranteed.\n\n"
            "Possible risks and side effects include:\n"
            "- discomfort, redness and swelling\n"
            "- darkening of spots before they clear\n"
            "- bruising or purple areas\n"
            "- blisters, crusting or burns\n"
            "- lightening or darkening of the skin, which may be long-lasting\n"
            "- hair reduction in treated areas, such as the beard\n"
            "- eye injury if protective eyewear is not worn\n"
            "- rarely, scarring\n\n"
            "Alternatives include no treatment, topical products, chemical peels and other lasers.\n\n"
            "I confirm that I have had no tan, sunburn or self-tanner on the area in the past 4 weeks, and "
            "that I have disclosed my medical history and medications, including light-sensitizing drugs "
            "and isotretinoin. I am not pregnant. I agree to wear protective eyewear and to protect my "
            "skin from the sun after treatment.\n\n"
            "I consent to before-and-after photographs for my medical record; they will not be used for "
            "marketing without my separate written permission."
        ),
    },
    "deoxycholic-acid": {
        "title": "Consent for deoxycholic acid injections",
        "text": (
            "I am requesting injections of deoxycholic acid (e.g. Kybella), a synthetic form of a "
            "substance the body uses to break down dietary fat. When injected into the fat under the chin, "
            "it permanently destroys fat cells in the treated area. It is not a weight-loss treatment.\n\n"
            "Swelling is expected and can be significant for several days to 2 weeks. Most people need 2 "
            "to 4 sessions at least 4 weeks apart, and the full result appears 4 to 6 weeks after the last "
            "session. Because treated fat cells are destroyed, results are long-lasting if my weight stays "
            "stable. Results vary and are not guaranteed.\n\n"
            "Possible risks and side effects include:\n"
            "- swelling, bruising, pain, numbness, redness and firmness in the area\n"
            "- difficulty swallowing caused by swelling\n"
            "- temporary nerve injury causing an uneven smile\n"
            "- hair loss or skin sores at injection sites\n"
            "- rarely, tissue damage if product reaches areas outside the intended fat\n\n"
            "Alternatives include no treatment, diet and exercise, cryolipolysis, radiofrequency "
            "treatments and liposuction.\n\n"
            "I have disclosed my medical history and medications, including blood thinners and any prior "
            "neck surgery or swallowing problems. I am not pregnant or breastfeeding. I agree to contact "
            "the practice if I notice an uneven smile, trouble swallowing or open sores after "
            "treatment.\n\n"
            "I consent to before-and-after photographs for my medical record; they will not be used for "
            "marketing without my separate written permission."
        ),
    },
    "weight-management": {
        "title": "Consent for medical weight-management care",
        "text": (
            "I am requesting medical weight-management care, which begins with a consultation to review my "
            "health history, weight history, medications and goals, and may include laboratory tests. My "
            "provider will then recommend a plan that can include nutrition and activity guidance, "
            "behavior support and, if appropriate, prescription medication. Any medication will be "
            "discussed separately, with its own risks and benefits, before I start it.\n\n"
            "Weight loss varies widely and depends on many factors, including following the plan. No "
            "specific amount of weight loss is guaranteed, and weight may return if the plan is "
            "stopped.\n\n"
            "Possible risks and side effects include:\n"
            "- nausea, constipation or diarrhea with diet changes or medication\n"
            "- fatigue, headache or dizziness\n"
            "- low blood sugar, especially if I take diabetes medication\n"
            "- loss of muscle mass if protein intake and exercise are too low\n"
            "- gallbladder problems with rapid weight loss\n"
            "- side effects specific to any prescribed medication, which will be reviewed with me\n\n"
            "Alternatives include care through my primary care provider, a registered dietitian, a "
            "commercial weight-loss program or bariatric surgery.\n\n"
            "I agree to give complete and truthful information about my health and medications, to attend "
            "follow-up visits and to report new symptoms promptly. I understand this program does not "
            "replace my primary care provider and that care may be stopped if it becomes unsafe for me.\n\n"
            "I consent to progress photographs and body measurements for my medical record; they will not "
            "be used for marketing without my separate written permission."
        ),
    },
}

STANDING_ORDERS: dict[str, dict] = {
    "neurotoxin": {
        "title": "Standing order: neurotoxin injections",
        "text": (
            "Applies to RNs, NPs and PAs trained in neurotoxin injection, after a good faith exam (GFE) "
            "has cleared the patient.\n\n"
            "Indications: dynamic lines of the glabella, forehead and lateral canthus; perioral lines and "
            "lip flip; masseter hypertrophy; axillary hyperhidrosis.\n\n"
            "Contraindications:\n"
            "- pregnancy or breastfeeding\n"
            "- neuromuscular disorders (e.g. myasthenia gravis, Lambert-Eaton syndrome, ALS)\n"
            "- infection or active skin disease at injection sites\n"
            "- allergy to any botulinum toxin product or its ingredients\n"
            "- aminoglycosides or other drugs affecting neuromuscular transmission (relative; GFE "
            "review)\n\n"
            "Dosing (onabotulinumtoxinA units; convert for other products per labeling): glabella 15 to "
            "25; forehead 6 to 15; crow's feet 6 to 12 per side; lip flip 4 to 6; masseter 20 to 30 per "
            "side; axillae 50 per side. Do not exceed 100 units per visit without medical director "
            "approval.\n\n"
            "Technique: reconstitute per labeling and record lot and expiry. Cleanse with alcohol, mark "
            "landmarks, and stay at least 1 cm above the orbital rim when treating the glabella and "
            "forehead. Offer a touch-up at 2 weeks; repeat no sooner than 12 weeks.\n\n"
            "Adverse events: ice and pressure for bruising; for eyelid ptosis, apraclonidine drops may be "
            "ordered by the medical director.\n\n"
            "Escalate: call 911 for difficulty breathing or swallowing, and notify the medical director "
            "immediately. Report ptosis, generalized weakness or vision changes to the medical director "
            "within 24 hours."
        ),
    },
    "dermal-filler": {
        "title": "Standing order: dermal filler injections",
        "text": (
            "Applies to RNs, NPs and PAs trained in hyaluronic acid (HA) filler injection, after a GFE has "
            "cleared the patient.\n\n"
            "Indications: volume loss or contour deficiency of the lips, cheeks, nasolabial and marionette "
            "folds, chin and jawline.\n\n"
            "Contraindications:\n"
            "- pregnancy or breastfeeding\n"
            "- active infection, cold sore or inflammation at the site\n"
            "- allergy to HA products, lidocaine or gram-positive bacterial proteins\n"
            "- history of severe allergic reactions or anaphylaxis\n"
            "- permanent filler in the treatment area\n"
            "- bleeding disorder; anticoagulants are relative and need GFE review\n\n"
            "Dosing: HA filler only. Lips 0.5 to 1 mL; cheeks 1 to 2 mL per side; nasolabial folds 0.5 to "
            "1 mL per side; chin and jawline 1 to 4 mL total. Do not exceed 4 mL per visit without medical "
            "director approval.\n\n"
            "Technique: confirm an unexpired hyaluronidase kit is on site before starting. Cleanse with "
            "chlorhexidine or alcohol, inject slowly with low pressure in small amounts, and consider a "
            "cannula in high-risk zones. Watch the skin for blanching throughout.\n\n"
            "Adverse events: ice for bruising and swelling. For suspected vascular occlusion (blanching, "
            "mottling, severe pain), stop injecting, start high-dose hyaluronidase per the hyaluronidase "
            "standing order, and apply warm compresses and massage.\n\n"
            "Escalate: notify the medical director immediately of any suspected occlusion, and call 911 "
            "for any vision change or neurologic symptom. Report nodules or infection to the medical "
            "director the same day."
        ),
    },
    "hyaluronidase": {
        "title": "Standing order: hyaluronidase",
        "text": (
            "Applies to NPs, PAs and RNs trained in hyaluronidase use and vascular occlusion management, "
            "after a GFE.\n\n"
            "Indications: elective dissolving of HA filler for nodules, overcorrection, migration or "
            "Tyndall effect; emergency treatment of suspected HA filler vascular occlusion.\n\n"
            "Contraindications:\n"
            "- known hypersensitivity to hyaluronidase\n"
            "- bee or wasp venom allergy (relative; medical director review)\n"
            "- active infection at the site (elective use)\n"
            "- pregnancy (elective use)\n\n"
            "A suspected occlusion overrides elective contraindications after discussion with the medical "
            "director.\n\n"
            "Dosing: elective use 10 to 30 units per small nodule, up to 75 units per area per session; "
            "repeat after 48 hours if needed. Vascular occlusion: 500 to 1,500 units infiltrated "
            "throughout the affected area, repeated every 60 minutes until perfusion returns.\n\n"
            "Technique: before elective use, perform an intradermal skin test with 3 to 5 units on the "
            "forearm and observe for 20 minutes. Reconstitute per labeling and record units, lot and "
            "expiry. Observe the patient for 30 minutes after treatment.\n\n"
            "Adverse events: treat localized hives or itching with an oral antihistamine. Treat "
            "anaphylaxis per the emergency protocol with epinephrine and call 911.\n\n"
            "Escalate: notify the medical director immediately of any suspected occlusion or systemic "
            "allergic reaction, and before any elective dose above 150 units."
        ),
    },
    "chemical-peel": {
        "title": "Standing order: chemical peels",
        "text": (
            "Applies to RNs, NPs, PAs and licensed aestheticians working under delegation, after a GFE. "
            "Medium-depth peels are performed by RNs, NPs or PAs only.\n\n"
            "Indications: photoaging, dyschromia, fine lines, acne and enlarged pores.\n\n"
            "Contraindications:\n"
            "- isotretinoin within 6 months\n"
            "- pregnancy or breastfeeding (salicylic acid and TCA peels)\n"
            "- active infection, cold sore, dermatitis or open wounds in the area\n"
            "- retinoid or exfoliant use within 5 to 7 days\n"
            "- waxing, laser or microneedling within 2 weeks\n"
            "- history of keloids; tan or sunburn in the past 2 weeks\n"
            "- Fitzpatrick V and VI for medium-depth peels, unless approved by the medical director\n\n"
            "Agents: superficial peels with glycolic acid 20 to 50 percent, lactic acid, salicylic acid 20 "
            "to 30 percent or Jessner's solution, 1 to 3 layers. Medium-depth peels with TCA 15 to 25 "
            "percent, 1 to 2 layers to an even frost.\n\n"
            "Technique: degrease the skin, protect the eye area and nasal creases with petrolatum, and "
            "time glycolic acid before neutralizing. Patients with a cold sore history need antiviral "
            "prophylaxis prescribed by a licensed prescriber before a medium-depth peel. Space superficial "
            "peels 2 to 4 weeks apart.\n\n"
            "Adverse events: for excessive burning, flush with cool water, then use cool compresses and a "
            "bland emollient.\n\n"
            "Escalate to the medical director: blistering, signs of infection, unexpected whitening, or a "
            "reaction lasting more than 72 hours."
        ),
    },
    "microneedling": {
        "title": "Standing order: microneedling",
        "text": (
            "Applies to RNs, NPs, PAs and licensed aestheticians working under delegation, after a GFE.\n\n"
            "Indications: uneven texture, fine lines, enlarged pores, atrophic acne scars and mild stretch "
            "marks.\n\n"
            "Contraindications:\n"
            "- active acne, rosacea flare, infection, cold sore or open wounds in the area\n"
            "- isotretinoin within 6 months\n"
            "- pregnancy\n"
            "- bleeding disorder or anticoagulant use (relative; GFE review)\n"
            "- history of keloids\n"
            "- radiation to the area in the past year\n"
            "- gold threads or permanent filler in the area\n\n"
            "Settings: needle depth 0.5 to 1.0 mm on the forehead and around the eyes, 1.0 to 1.5 mm on "
            "the cheeks and neck, and 1.5 to 2.5 mm for acne scars on thicker skin. Use only sterile "
            "single-use cartridges and sterile serums intended for microneedling.\n\n"
            "Technique: apply topical anesthetic for 20 to 30 minutes, remove it, and prepare the skin "
            "with alcohol or chlorhexidine, avoiding the eyes. Make overlapping passes by section until "
            "even pinpoint bleeding is seen. Space sessions 4 to 6 weeks apart.\n\n"
            "Adverse events: for prolonged redness, use cool compresses and a bland moisturizer. A "
            "suspected infection or cold sore outbreak is referred to the medical director or an NP or PA "
            "for evaluation and treatment.\n\n"
            "Escalate: report signs of infection, granulomas, track marks or pigment change to the medical "
            "director within 24 hours."
        ),
    },
    "iv-therapy": {
        "title": "Standing order: IV and vitamin injection therapy",
        "text": (
            "Applies to RNs, NPs and PAs competent in peripheral IV insertion, after a GFE that includes "
            "vital signs and a medication review.\n\n"
            "Indications: mild dehydration, and vitamin and electrolyte support for wellness in otherwise "
            "healthy adults.\n\n"
            "Contraindications:\n"
            "- heart failure, significant kidney disease or uncontrolled hypertension\n"
            "- pregnancy, unless approved by the medical director\n"
            "- allergy to any ingredient\n"
            "- G6PD deficiency or no G6PD result (vitamin C above 5 g)\n"
            "- signs of acute illness such as fever, chest pain or confusion, which need emergency "
            "evaluation\n\n"
            "Approved formulations:\n"
            "- normal saline or lactated Ringer's, 500 to 1,000 mL\n"
            "- vitamin blend: B complex 1 mL, vitamin C 1 to 2.5 g, magnesium chloride 1 to 2 mL, calcium "
            "gluconate 1 mL\n"
            "- vitamin C up to 15 g with a normal G6PD result\n"
            "- cyanocobalamin or methylcobalamin 1,000 mcg IM, no more than once weekly\n\n"
            "Technique: check vitals before and after. Infuse 1 L over 30 to 60 minutes, giving magnesium "
            "slowly to limit flushing. Record the site, catheter size, volume and lot numbers.\n\n"
            "Adverse events: for infiltration, stop, remove the catheter and elevate the arm. For a "
            "vasovagal episode, stop and lay the patient flat. For an allergic reaction, stop the infusion "
            "and follow the emergency protocol.\n\n"
            "Escalate: call 911 for anaphylaxis, chest pain or shortness of breath. Notify the medical "
            "director of any reaction the same day."
        ),
    },
    "laser-hair-removal": {
        "title": "Standing order: laser hair removal",
        "text": (
            "Applies to RNs, NPs, PAs and laser technicians certified on the device in use, after a GFE, "
            "as permitted by state rules.\n\n"
            "Indications: unwanted hair on the face and body.\n\n"
            "Contraindications:\n"
            "- tan, sunburn or self-tanner on the area in the past 4 weeks\n"
            "- isotretinoin within 6 months\n"
            "- light-sensitizing medications, unless approved by the medical director\n"
            "- pregnancy\n"
            "- active infection, cold sore or open wounds in the area\n"
            "- tattoos or permanent makeup in the area\n"
            "- history of keloids, or seizures triggered by light\n\n"
            "Device and settings: long-pulsed alexandrite (755 nm) for Fitzpatrick I to III; diode (800 to "
            "810 nm) or long-pulsed Nd:YAG (1064 nm) for Fitzpatrick IV to VI. Set fluence and pulse width "
            "from the manufacturer's chart for skin type and hair color. Perform a test spot at the first "
            "visit and whenever settings are raised.\n\n"
            "Technique: the area must be shaved within 24 hours. Everyone in the room wears "
            "wavelength-specific eyewear. Use contact cooling and look for the expected redness and "
            "swelling around follicles. Space sessions 4 to 6 weeks apart on the face and 6 to 8 weeks on "
            "the body.\n\n"
            "Adverse events: for skin whitening, blistering or a burn, stop, cool the area, apply a bland "
            "ointment and photograph it.\n\n"
            "Escalate: report any burn, blister, eye exposure or pigment change to the medical director "
            "the same day."
        ),
    },
    "ipl": {
        "title": "Standing order: IPL photofacial",
        "text": (
            "Applies to RNs, NPs, PAs and laser technicians certified on the device in use, after a "
            "GFE.\n\n"
            "Indications: sun spots, freckles, diffuse redness, telangiectasia and photoaging of the face, "
            "neck, chest and hands.\n\n"
            "Contraindications:\n"
            "- Fitzpatrick V and VI skin\n"
            "- tan, sun exposure or self-tanner in the past 4 weeks\n"
            "- melasma in the area, unless approved by the medical director\n"
            "- isotretinoin within 6 months, or light-sensitizing medications\n"
            "- pregnancy\n"
            "- active infection, cold sore or open wounds\n"
            "- suspicious pigmented lesions, which must be evaluated by a physician first\n\n"
            "Settings: filters of 515 to 590 nm for pigment and 560 to 590 nm for vascular targets. Start "
            "at the manufacturer's recommended fluence for the skin type and lower it 10 to 20 percent on "
            "the neck and chest. Perform a test pulse at the first visit.\n\n"
            "Technique: cleanse the skin, apply a thin layer of cool gel, and confirm everyone in the room "
            "wears protective eyewear. Avoid the eyebrows, tattoos and, unless hair reduction is wanted, "
            "the beard area. Endpoint: pigment darkens and redness fades slightly. Space sessions about 4 "
            "weeks apart.\n\n"
            "Adverse events: for blistering, a burn or marked swelling, stop, apply cold compresses and a "
            "bland ointment, and photograph the area.\n\n"
            "Escalate: report any burn, blister, eye exposure or pigment change to the medical director "
            "the same day."
        ),
    },
    "deoxycholic-acid": {
        "title": "Standing order: deoxycholic acid injections",
        "text": (
            "Applies to NPs, PAs and RNs trained in deoxycholic acid injection, after a GFE.\n\n"
            "Indications: moderate to severe submental fullness caused by fat under the chin.\n\n"
            "Contraindications:\n"
            "- infection in the treatment area\n"
            "- pregnancy or breastfeeding\n"
            "- difficulty swallowing, or prior neck surgery or radiation\n"
            "- enlarged thyroid, lymph nodes or another cause of fullness besides fat\n"
            "- marked skin laxity, where results will be poor\n"
            "- bleeding disorder; anticoagulants are relative and need GFE review\n\n"
            "Dosing: 0.2 mL per injection site on a 1 cm grid, up to 50 injections (10 mL) per session; a "
            "typical session uses 2 to 4 mL. Space sessions at least 4 weeks apart, up to 6 sessions.\n\n"
            "Technique: mark the treatment area, staying above the thyroid cartilage and 1 to 1.5 cm below "
            "the lower border of the jaw to protect the marginal mandibular nerve. Inject into the middle "
            "of the fat layer with a 30-gauge needle, never into the skin or muscle. Apply ice before and "
            "after.\n\n"
            "Adverse events: manage expected swelling, bruising and numbness with ice and over-the-counter "
            "pain relief. An uneven smile usually resolves within weeks; document it and reassure the "
            "patient.\n\n"
            "Escalate: report difficulty swallowing, skin sores, signs of infection or nerve injury to the "
            "medical director the same day."
        ),
    },
    "weight-management": {
        "title": "Standing order: medical weight-management visits",
        "text": (
            "Applies to NPs, PAs and physicians conducting weight-management visits; RNs may take the "
            "intake history and measurements. Prescribing decisions are made by a licensed prescriber and "
            "are outside this standing order.\n\n"
            "Indications: adults with a BMI of 30 or higher, or 27 or higher with a weight-related "
            "condition, seeking medically supervised weight management.\n\n"
            "Exclusions, referred elsewhere:\n"
            "- pregnancy, planned pregnancy or breastfeeding\n"
            "- current or recent eating disorder\n"
            "- age under 18\n"
            "- unstable heart, kidney, liver or psychiatric disease\n"
            "- type 1 diabetes, or insulin use without coordination with the treating provider\n\n"
            "Visit protocol: record height, weight, BMI, waist circumference, blood pressure and pulse. "
            "Review weight history, diet, activity, sleep, medications and family history. Order baseline "
            "labs as directed by the prescriber, such as a metabolic panel, lipids, HbA1c and TSH. Set "
            "goals of 0.5 to 2 pounds of loss per week, and schedule follow-up every 4 weeks to repeat "
            "measurements and update the plan.\n\n"
            "Escalate to the prescriber the same day: blood pressure above 160/100, symptoms of low blood "
            "sugar, severe abdominal pain, persistent vomiting, or signs of depression or thoughts of "
            "self-harm. Call 911 for chest pain or any emergency."
        ),
    },
}

CARE_MESSAGES: dict[str, dict] = {
    "neurotoxin-pre": {
        "title": "Before your neurotoxin treatment",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, we look forward to seeing you at {medspa_name}. To get the most from "
            "your neurotoxin treatment:\n"
            "- If your doctor agrees, avoid aspirin, ibuprofen, fish oil, vitamin E and alcohol for 3 to 5 "
            "days before to reduce bruising.\n"
            "- Arrive with a clean face, or allow a few minutes to remove makeup.\n"
            "- Let us know if you are pregnant, breastfeeding, have a cold sore or feel unwell; we will "
            "reschedule.\n"
            "- Book at least 2 weeks before a big event so you see the full result.\n\n"
            "Questions? Just reply to this message."
        ),
    },
    "neurotoxin-post": {
        "title": "After your neurotoxin treatment",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, thank you for visiting {medspa_name}. For the best results:\n"
            "- Stay upright and don't rub or massage the treated areas for 4 hours.\n"
            "- Skip strenuous exercise, saunas and hot yoga until tomorrow.\n"
            "- Small bumps, redness or a tiny bruise are normal and fade quickly; a cold pack can help.\n\n"
            "Results start to show in 3 to 5 days, with the full effect at 2 weeks. If you notice eyelid "
            "drooping or trouble swallowing, call us right away. Call 911 for any trouble breathing."
        ),
    },
    "dermal-filler-pre": {
        "title": "Before your dermal filler treatment",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, here is how to prepare for your filler appointment at "
            "{medspa_name}:\n"
            "- If your doctor agrees, avoid aspirin, ibuprofen, fish oil, vitamin E and alcohol for 5 to 7 "
            "days before.\n"
            "- Avoid dental work, including cleanings, for 2 weeks before and after treatment.\n"
            "- If you get cold sores and are having lip filler, tell us ahead of time; an antiviral may be "
            "recommended.\n"
            "- Book at least 2 weeks before any event, as swelling and bruising can take time to "
            "settle.\n\n"
            "We're happy to answer any questions before your visit."
        ),
    },
    "dermal-filler-post": {
        "title": "After your dermal filler treatment",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, thank you for choosing {medspa_name}. Caring for your filler:\n"
            "- Use ice wrapped in a cloth, 10 minutes at a time, today to ease swelling.\n"
            "- Avoid strenuous exercise, alcohol, heat and pressure on the area for 24 to 48 hours, and "
            "skip facials and dental work for 2 weeks.\n"
            "- Swelling and small bumps are common and settle over 1 to 2 weeks.\n\n"
            "Call us right away, day or night, if you notice severe or increasing pain, pale, blotchy or "
            "dusky skin, or blisters near the treated area. Call 911 for any change in vision. These "
            "problems are rare but need urgent treatment."
        ),
    },
    "chemical-peel-pre": {
        "title": "Before your chemical peel",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, to prepare your skin for your peel at {medspa_name}:\n"
            "- Stop retinoids (tretinoin, retinol, adapalene), exfoliating acids and scrubs 5 to 7 days "
            "before.\n"
            "- Avoid waxing, threading and hair removal creams on the area for 1 week.\n"
            "- Avoid sun and tanning for 2 weeks before, and wear SPF 30 or higher daily.\n"
            "- If you get cold sores, tell us in advance; an antiviral may be prescribed.\n"
            "- Expect a few days of peeling, so avoid booking right before an event.\n\n"
            "Please arrive without makeup if you can."
        ),
    },
    "chemical-peel-post": {
        "title": "After your chemical peel",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, here is how to care for your skin after your peel at {medspa_name}:\n"
            "- Wash with a gentle cleanser and lukewarm water, pat dry, and apply a bland moisturizer "
            "often.\n"
            "- Let the skin peel on its own; don't pick, pull or scrub flakes.\n"
            "- Wear a mineral sunscreen of SPF 30 or higher and stay out of direct sun.\n"
            "- Avoid retinoids, acids, scrubs, heavy sweating and saunas until peeling is done, usually 5 "
            "to 7 days.\n\n"
            "Tingling and tightness are normal. Call us if you notice blisters, oozing, crusting, "
            "increasing redness or signs of a cold sore."
        ),
    },
    "microneedling-pre": {
        "title": "Before your microneedling treatment",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, to get ready for microneedling at {medspa_name}:\n"
            "- Stop retinoids, exfoliating acids and scrubs 5 days before.\n"
            "- Avoid sunburn, tanning and self-tanner for 2 weeks before.\n"
            "- If your doctor agrees, avoid aspirin, ibuprofen and fish oil for 3 days to reduce "
            "bruising.\n"
            "- If you get cold sores, let us know; an antiviral may be recommended.\n"
            "- Come with clean skin and no makeup, and allow 30 minutes for numbing cream.\n\n"
            "Your skin will look sunburned for 1 to 3 days, so plan your calendar accordingly."
        ),
    },
    "microneedling-post": {
        "title": "After your microneedling treatment",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, thank you for visiting {medspa_name}. Aftercare for your "
            "microneedling:\n"
            "- Don't wash your face or wear makeup for the first 12 hours, then cleanse gently with "
            "lukewarm water.\n"
            "- For 3 days, use only a gentle cleanser, a hyaluronic acid serum or bland moisturizer, and "
            "mineral sunscreen.\n"
            "- Avoid exercise, saunas, swimming and direct sun for 48 hours.\n"
            "- Restart retinoids and acids after 5 to 7 days.\n"
            "- Sleep on a clean pillowcase tonight.\n\n"
            "Redness, tightness and light flaking are normal. Call us if you see increasing redness, pus, "
            "blisters or a cold sore."
        ),
    },
    "facial-pre": {
        "title": "Before your facial",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, we look forward to your facial at {medspa_name}. A few tips so your "
            "skin is ready:\n"
            "- Stop retinoids and exfoliating products 2 to 3 days before.\n"
            "- Avoid waxing, threading or laser treatments on the face for 1 week.\n"
            "- Let us know if you have a sunburn, cold sore or rash, or recent injectables; we may adjust "
            "your treatment.\n"
            "- Arriving with little or no makeup saves time.\n\n"
            "Please arrive 10 minutes early to complete your skin questionnaire. See you soon!"
        ),
    },
    "facial-post": {
        "title": "After your facial",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, thank you for visiting {medspa_name}. To keep your glow:\n"
            "- Skip makeup for the rest of the day if you can, and keep your hands off your face.\n"
            "- Avoid exfoliants and retinoids for 2 days, and heavy sweating, saunas and pools for 24 "
            "hours.\n"
            "- Drink plenty of water and moisturize morning and night.\n"
            "- Wear a broad-spectrum sunscreen of SPF 30 or higher, even on cloudy days.\n\n"
            "Mild redness should fade within a few hours; let us know if irritation lasts. We recommend "
            "booking your next facial in about 4 weeks."
        ),
    },
    "iv-therapy-pre": {
        "title": "Before your IV therapy",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, your IV appointment at {medspa_name} is coming up. To make it "
            "comfortable:\n"
            "- Eat a light meal 1 to 2 hours before your visit.\n"
            "- Drink water beforehand; good hydration makes your veins easier to find.\n"
            "- Wear short sleeves or sleeves that roll up easily.\n"
            "- Bring a list of your medications and supplements, and tell us about any heart, kidney or "
            "blood pressure conditions, or if you may be pregnant.\n"
            "- Plan for 45 to 60 minutes; feel free to bring a book or headphones.\n\n"
            "We will check your vital signs before we start."
        ),
    },
    "iv-therapy-post": {
        "title": "After your IV therapy",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, thank you for your visit to {medspa_name}. After your IV:\n"
            "- Keep the bandage on for 1 to 2 hours and avoid heavy lifting with that arm for the rest of "
            "the day.\n"
            "- A small bruise or tenderness at the site is common; a cool compress can help.\n"
            "- You may need to urinate more often for the next few hours.\n"
            "- Keep drinking water and eat a balanced meal.\n\n"
            "Contact us if you notice spreading redness, warmth, swelling or a hard, painful cord along "
            "the vein. Call 911 for trouble breathing, chest pain, or swelling of the face or throat."
        ),
    },
    "laser-hair-removal-pre": {
        "title": "Before your laser hair removal",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, to prepare for laser hair removal at {medspa_name}:\n"
            "- Shave the area 12 to 24 hours before your appointment. Don't wax, pluck or use hair removal "
            "creams for 4 weeks before.\n"
            "- Avoid sun exposure, tanning beds and self-tanner for 4 weeks.\n"
            "- Come with clean skin, free of lotion, makeup and, for underarms, deodorant.\n"
            "- Tell us about any new medications, especially antibiotics or acne treatments, as some "
            "increase light sensitivity.\n\n"
            "If you have a tan or sunburn on the day, we will reschedule for your safety."
        ),
    },
    "laser-hair-removal-post": {
        "title": "After your laser hair removal",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, thank you for visiting {medspa_name}. After laser hair removal:\n"
            "- Redness and small bumps around the follicles are normal for a few hours to 2 days. Cool "
            "compresses or aloe can soothe the area.\n"
            "- Avoid hot showers, saunas, heavy exercise and, on treated underarms, deodorant for 24 "
            "hours.\n"
            "- Protect the area from the sun with SPF 30 or higher daily.\n"
            "- Treated hairs shed over 1 to 3 weeks. You may shave, but don't wax or pluck between "
            "sessions.\n\n"
            "Call us if you notice blisters, crusting or darkened patches."
        ),
    },
    "ipl-pre": {
        "title": "Before your IPL photofacial",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, to prepare for your IPL photofacial at {medspa_name}:\n"
            "- Avoid sun exposure, tanning and self-tanner on the area for 4 weeks before treatment.\n"
            "- Stop retinoids and exfoliating acids 5 to 7 days before.\n"
            "- Tell us about any new medications, including antibiotics, as some make skin sensitive to "
            "light.\n"
            "- Come with clean skin, with no makeup or lotion on the treatment area.\n\n"
            "Plan for brown spots to look darker, like coffee grounds, for 1 to 2 weeks afterward. If you "
            "have a tan or sunburn on the day, we will reschedule."
        ),
    },
    "ipl-post": {
        "title": "After your IPL photofacial",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, thank you for visiting {medspa_name}. After your IPL:\n"
            "- Mild redness and swelling are normal for a day or two; cool compresses help.\n"
            "- Brown spots will darken and flake off over 7 to 14 days. Let them come off on their own.\n"
            "- Avoid hot showers, saunas and strenuous exercise for 24 hours.\n"
            "- Use a gentle cleanser and moisturizer, and restart retinoids after 5 days.\n"
            "- Wear SPF 30 or higher daily and avoid direct sun for at least 2 weeks.\n\n"
            "Call us if you notice blisters, crusting or a burn."
        ),
    },
    "deoxycholic-acid-pre": {
        "title": "Before your deoxycholic acid treatment",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, to prepare for your under-chin treatment at {medspa_name}:\n"
            "- If your doctor agrees, avoid aspirin, ibuprofen, fish oil and alcohol for 5 days before to "
            "reduce bruising.\n"
            "- Expect swelling under the chin for several days to 2 weeks, and plan events, photos and "
            "video calls around it.\n"
            "- Wear a top with an open neckline.\n"
            "- Let us know if you are pregnant, breastfeeding, have had neck surgery or have trouble "
            "swallowing.\n\n"
            "We will apply ice before treatment for comfort. Please allow about 45 minutes for your visit."
        ),
    },
    "deoxycholic-acid-post": {
        "title": "After your deoxycholic acid treatment",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, thank you for visiting {medspa_name}. After your treatment:\n"
            "- Swelling, firmness, numbness and bruising under the chin are expected and can last 1 to 2 "
            "weeks.\n"
            "- Apply ice wrapped in a cloth, 10 minutes at a time, and sleep with your head slightly "
            "raised for 2 nights.\n"
            "- Acetaminophen may be used for discomfort if your doctor agrees.\n"
            "- Avoid strenuous exercise and tight collars for 48 hours.\n\n"
            "Call us right away if you have trouble swallowing, an uneven smile, open sores or signs of "
            "infection. Your next session can be booked in 4 to 6 weeks."
        ),
    },
    "weight-management-pre": {
        "title": "Before your weight-management consultation",
        "timing": "pre",
        "text": (
            "Hi {patient_first_name}, we look forward to meeting you at {medspa_name} for your "
            "weight-management consultation. Please:\n"
            "- Bring a list of your current medications, supplements and allergies.\n"
            "- Bring any recent lab results, or be ready to have labs drawn if your provider recommends "
            "them.\n"
            "- Think about your weight history, programs you have tried before and your goals.\n"
            "- Wear comfortable clothing; we will check your weight, waist measurement and blood "
            "pressure.\n\n"
            "Your visit will take about 60 minutes. Reply to this message with any questions."
        ),
    },
    "weight-management-post": {
        "title": "After your weight-management visit",
        "timing": "post",
        "text": (
            "Hi {patient_first_name}, thank you for meeting with us at {medspa_name}. A few reminders for "
            "your plan:\n"
            "- Follow the nutrition and activity goals you set with your provider; aim for consistency, "
            "not perfection.\n"
            "- Drink plenty of water and include protein at every meal.\n"
            "- Keep a simple log of meals, weight and any symptoms to review at your next visit.\n"
            "- If a medication was prescribed, take it exactly as directed.\n\n"
            "Your follow-up is due in about 4 weeks. Call us for persistent vomiting, severe abdominal "
            "pain, dizziness or any new symptom that worries you."
        ),
    },
}

GROUPS: list[dict] = [
    {
        "name": "Neurotoxins",
        "description": (
            "Botulinum toxin type A injections that relax targeted muscles to soften expression lines and "
            "treat selected medical concerns."
        ),
        "services": [
            {
                "name": "Neurotoxin: glabellar lines",
                "description": (
                    "Softens the vertical frown lines between the brows with botulinum toxin type A (e.g. "
                    "Botox, Dysport, Xeomin)."
                ),
                "price": "325.00",
                "duration_minutes": 30,
                "requires_gfe": True,
                "consents": ["neurotoxin"],
                "standing_order": "neurotoxin",
                "care_messages": ["neurotoxin-pre", "neurotoxin-post"],
            },
            {
                "name": "Neurotoxin: upper face (three areas)",
                "description": (
                    "Treats frown lines, forehead lines and crow's feet in one visit for a smoother, "
                    "rested look."
                ),
                "price": "595.00",
                "duration_minutes": 45,
                "requires_gfe": True,
                "consents": ["neurotoxin"],
                "standing_order": "neurotoxin",
                "care_messages": ["neurotoxin-pre", "neurotoxin-post"],
            },
            {
                "name": "Neurotoxin: lip flip",
                "description": (
                    "A few units placed along the upper lip border for a subtly fuller upper lip and a "
                    "less gummy smile."
                ),
                "price": "150.00",
                "duration_minutes": 15,
                "requires_gfe": True,
                "consents": ["neurotoxin"],
                "standing_order": "neurotoxin",
                "care_messages": ["neurotoxin-pre", "neurotoxin-post"],
            },
            {
                "name": "Neurotoxin: masseter slimming",
                "description": (
                    "Relaxes the jaw muscles to soften a square jawline and ease clenching; results build "
                    "over 6 to 8 weeks."
                ),
                "price": "650.00",
                "duration_minutes": 30,
                "requires_gfe": True,
                "consents": ["neurotoxin"],
                "standing_order": "neurotoxin",
                "care_messages": ["neurotoxin-pre", "neurotoxin-post"],
            },
            {
                "name": "Neurotoxin: underarm hyperhidrosis",
                "description": (
                    "Reduces excessive underarm sweating, typically for 4 to 6 months per treatment."
                ),
                "price": "1100.00",
                "duration_minutes": 45,
                "requires_gfe": True,
                "consents": ["neurotoxin"],
                "standing_order": "neurotoxin",
                "care_messages": ["neurotoxin-pre", "neurotoxin-post"],
            },
        ],
    },
    {
        "name": "Dermal fillers",
        "description": (
            "Hyaluronic acid fillers that restore lost volume, smooth folds and refine facial contours."
        ),
        "services": [
            {
                "name": "Dermal filler: lips",
                "description": (
                    "Adds volume, shape and definition to the lips with one syringe of a soft hyaluronic "
                    "acid filler."
                ),
                "price": "695.00",
                "duration_minutes": 45,
                "requires_gfe": True,
                "consents": ["dermal-filler"],
                "standing_order": "dermal-filler",
                "care_messages": ["dermal-filler-pre", "dermal-filler-post"],
            },
            {
                "name": "Dermal filler: cheeks and midface",
                "description": (
                    "Restores lift and volume to the cheeks and midface; the session price covers two "
                    "syringes."
                ),
                "price": "1400.00",
                "duration_minutes": 60,
                "requires_gfe": True,
                "consents": ["dermal-filler"],
                "standing_order": "dermal-filler",
                "care_messages": ["dermal-filler-pre", "dermal-filler-post"],
            },
            {
                "name": "Dermal filler: nasolabial folds",
                "description": (
                    "Softens the lines that run from the nose to the corners of the mouth, typically with "
                    "one syringe."
                ),
                "price": "725.00",
                "duration_minutes": 45,
                "requires_gfe": True,
                "consents": ["dermal-filler"],
                "standing_order": "dermal-filler",
                "care_messages": ["dermal-filler-pre", "dermal-filler-post"],
            },
            {
                "name": "Dermal filler: chin and jawline",
                "description": (
                    "Defines and balances the chin and jawline profile; the session price covers two "
                    "syringes."
                ),
                "price": "1500.00",
                "duration_minutes": 60,
                "requires_gfe": True,
                "consents": ["dermal-filler"],
                "standing_order": "dermal-filler",
                "care_messages": ["dermal-filler-pre", "dermal-filler-post"],
            },
            {
                "name": "Filler dissolving (hyaluronidase)",
                "description": (
                    "Dissolves unwanted, lumpy or migrated hyaluronic acid filler with the enzyme "
                    "hyaluronidase."
                ),
                "price": "450.00",
                "duration_minutes": 30,
                "requires_gfe": True,
                "consents": ["hyaluronidase"],
                "standing_order": "hyaluronidase",
                "care_messages": ["dermal-filler-pre", "dermal-filler-post"],
            },
        ],
    },
    {
        "name": "Skin",
        "description": (
            "Chemical peels, microneedling and facials that improve the tone, texture and clarity of the "
            "skin."
        ),
        "services": [
            {
                "name": "Chemical peel: superficial",
                "description": (
                    "A light glycolic, lactic or salicylic acid peel that brightens dull skin and refines "
                    "texture with little downtime."
                ),
                "price": "175.00",
                "duration_minutes": 45,
                "requires_gfe": True,
                "consents": ["chemical-peel"],
                "standing_order": "chemical-peel",
                "care_messages": ["chemical-peel-pre", "chemical-peel-post"],
            },
            {
                "name": "Chemical peel: medium depth (TCA)",
                "description": (
                    "A trichloroacetic acid peel for sun damage, uneven pigment and fine lines, with 5 to "
                    "10 days of peeling."
                ),
                "price": "450.00",
                "duration_minutes": 60,
                "requires_gfe": True,
                "consents": ["chemical-peel"],
                "standing_order": "chemical-peel",
                "care_messages": ["chemical-peel-pre", "chemical-peel-post"],
            },
            {
                "name": "Microneedling: face",
                "description": (
                    "Collagen induction therapy for texture, pores, fine lines and acne scars; best as a "
                    "series of three or more sessions."
                ),
                "price": "375.00",
                "duration_minutes": 60,
                "requires_gfe": True,
                "consents": ["microneedling"],
                "standing_order": "microneedling",
                "care_messages": ["microneedling-pre", "microneedling-post"],
            },
            {
                "name": "Microneedling: face and neck",
                "description": (
                    "Microneedling of the face and neck to improve texture and crepey skin, performed with "
                    "topical numbing."
                ),
                "price": "475.00",
                "duration_minutes": 75,
                "requires_gfe": True,
                "consents": ["microneedling"],
                "standing_order": "microneedling",
                "care_messages": ["microneedling-pre", "microneedling-post"],
            },
            {
                "name": "Hydrating facial (hydradermabrasion)",
                "description": (
                    "Cleansing, exfoliation, extractions and serum infusion with a hydradermabrasion "
                    "device for an immediate glow."
                ),
                "price": "199.00",
                "duration_minutes": 60,
                "requires_gfe": False,
                "consents": ["facial"],
                "standing_order": None,
                "care_messages": ["facial-pre", "facial-post"],
            },
            {
                "name": "Dermaplaning facial",
                "description": (
                    "Gentle manual exfoliation that removes dead skin and fine vellus hair, finished with "
                    "a hydrating mask."
                ),
                "price": "125.00",
                "duration_minutes": 45,
                "requires_gfe": False,
                "consents": ["facial"],
                "standing_order": None,
                "care_messages": ["facial-pre", "facial-post"],
            },
        ],
    },
    {
        "name": "IV therapy",
        "description": (
            "IV fluids and vitamin injections that support hydration and wellness after a medical screening."
        ),
        "services": [
            {
                "name": "IV hydration (1 liter)",
                "description": (
                    "One liter of balanced fluids and electrolytes to rehydrate after travel, exercise or "
                    "a long week."
                ),
                "price": "175.00",
                "duration_minutes": 45,
                "requires_gfe": True,
                "consents": ["iv-therapy"],
                "standing_order": "iv-therapy",
                "care_messages": ["iv-therapy-pre", "iv-therapy-post"],
            },
            {
                "name": "IV vitamin infusion (Myers-style)",
                "description": (
                    "A classic blend of B vitamins, vitamin C, magnesium and calcium in one liter of fluids."
                ),
                "price": "225.00",
                "duration_minutes": 60,
                "requires_gfe": True,
                "consents": ["iv-therapy"],
                "standing_order": "iv-therapy",
                "care_messages": ["iv-therapy-pre", "iv-therapy-post"],
            },
            {
                "name": "IV high-dose vitamin C",
                "description": (
                    "A vitamin C infusion in fluids; a normal G6PD blood test is required before the first "
                    "treatment."
                ),
                "price": "275.00",
                "duration_minutes": 75,
                "requires_gfe": True,
                "consents": ["iv-therapy"],
                "standing_order": "iv-therapy",
                "care_messages": ["iv-therapy-pre", "iv-therapy-post"],
            },
            {
                "name": "Vitamin B12 injection",
                "description": (
                    "A quick intramuscular vitamin B12 injection, often added on to another visit."
                ),
                "price": "35.00",
                "duration_minutes": 10,
                "requires_gfe": True,
                "consents": ["iv-therapy"],
                "standing_order": "iv-therapy",
                "care_messages": ["iv-therapy-pre", "iv-therapy-post"],
            },
        ],
    },
    {
        "name": "Laser & light",
        "description": (
            "Laser and intense pulsed light treatments for long-term hair reduction, sun damage and redness."
        ),
        "services": [
            {
                "name": "Laser hair removal: small area",
                "description": (
                    "One small area such as the upper lip, chin, underarms or bikini line; a series of 6 "
                    "to 8 sessions is recommended."
                ),
                "price": "150.00",
                "duration_minutes": 15,
                "requires_gfe": True,
                "consents": ["laser-hair-removal"],
                "standing_order": "laser-hair-removal",
                "care_messages": ["laser-hair-removal-pre", "laser-hair-removal-post"],
            },
            {
                "name": "Laser hair removal: medium area",
                "description": (
                    "One medium area such as the full face, extended bikini, lower legs or forearms."
                ),
                "price": "275.00",
                "duration_minutes": 30,
                "requires_gfe": True,
                "consents": ["laser-hair-removal"],
                "standing_order": "laser-hair-removal",
                "care_messages": ["laser-hair-removal-pre", "laser-hair-removal-post"],
            },
            {
                "name": "Laser hair removal: large area",
                "description": "One large area such as the full legs, back or chest.",
                "price": "450.00",
                "duration_minutes": 60,
                "requires_gfe": True,
                "consents": ["laser-hair-removal"],
                "standing_order": "laser-hair-removal",
                "care_messages": ["laser-hair-removal-pre", "laser-hair-removal-post"],
            },
            {
                "name": "IPL photofacial: face",
                "description": "Intense pulsed light to fade sun spots, freckles and redness on the face.",
                "price": "400.00",
                "duration_minutes": 45,
                "requires_gfe": True,
                "consents": ["ipl"],
                "standing_order": "ipl",
                "care_messages": ["ipl-pre", "ipl-post"],
            },
            {
                "name": "IPL photofacial: face, neck and chest",
                "description": (
                    "Intense pulsed light for sun damage and redness on the face, neck and chest in one "
                    "session."
                ),
                "price": "650.00",
                "duration_minutes": 60,
                "requires_gfe": True,
                "consents": ["ipl"],
                "standing_order": "ipl",
                "care_messages": ["ipl-pre", "ipl-post"],
            },
        ],
    },
    {
        "name": "Body",
        "description": "Non-surgical fat reduction and medically supervised weight management.",
        "services": [
            {
                "name": "Deoxycholic acid: under-chin fat",
                "description": (
                    "Injectable deoxycholic acid (e.g. Kybella) that permanently reduces fat under the "
                    "chin; the session price covers two vials."
                ),
                "price": "1200.00",
                "duration_minutes": 45,
                "requires_gfe": True,
                "consents": ["deoxycholic-acid"],
                "standing_order": "deoxycholic-acid",
                "care_messages": ["deoxycholic-acid-pre", "deoxycholic-acid-post"],
            },
            {
                "name": "Deoxycholic acid: single-vial session",
                "description": (
                    "A one-vial follow-up session to refine a previously treated under-chin area."
                ),
                "price": "650.00",
                "duration_minutes": 30,
                "requires_gfe": True,
                "consents": ["deoxycholic-acid"],
                "standing_order": "deoxycholic-acid",
                "care_messages": ["deoxycholic-acid-pre", "deoxycholic-acid-post"],
            },
            {
                "name": "Medical weight-management consultation",
                "description": (
                    "A first visit with a provider covering health and weight history, measurements, lab "
                    "review and a personalized plan."
                ),
                "price": "199.00",
                "duration_minutes": 60,
                "requires_gfe": True,
                "consents": ["weight-management"],
                "standing_order": "weight-management",
                "care_messages": ["weight-management-pre", "weight-management-post"],
            },
            {
                "name": "Weight-management follow-up visit",
                "description": "A monthly check-in to track progress, review symptoms and adjust the plan.",
                "price": "99.00",
                "duration_minutes": 20,
                "requires_gfe": True,
                "consents": ["weight-management"],
                "standing_order": "weight-management",
                "care_messages": ["weight-management-post"],
            },
        ],
    },
]
